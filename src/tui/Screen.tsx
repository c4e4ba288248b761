/**
 * The whole screen, from props alone: header, CPU panes, task table, event log, caption,
 * command line and message. Colours carry meaning (access granted, findings, errors); with
 * colour off the same meaning is in the text (`+`, `!`, `error:`).
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import { commandWords } from '../engine/commands-spec.js';
import { type LogView, allLog, keysFor } from './keys.js';
import type { Limits, PageView } from './playback.js';
import { type Layout, captionLinesMax, layout, minHeight, minWidth } from './layout.js';
import { type CpuView, type LogLine, type TaskRow, type WorldView, viewOf } from './view.js';
import type { World } from '../engine/world.js';
import { visible } from '../visible.js';

export interface UiView {
  mode: 'normal' | 'input' | 'page';
  line: string;
  cursor: number;
  message: { text: string; error: boolean } | null;
  caption: string | null;
  running: boolean;
  pace: string;
  /** What the line under the caption says when no command is being typed. */
  hint?: string;
  /** What is on screen: the playground (takes commands) or a replay or demo (read-only).
   * The help, the hints and the empty-world line follow it. The playground when absent. */
  kind?: 'playground' | 'replay' | 'demo';
  /** The file the session records to (`--record`): the header shows REC. */
  recording?: string | null;
  /** In page mode: the page (help, an answer, the findings list). */
  page?: PageView | null;
  /** How the log is shown: scrolled (PgUp/PgDn, Home/End), filtered (`f`, `c`, `t`). */
  log?: LogView;
}

export interface ScreenProps {
  view: WorldView;
  ui: UiView;
  width: number;
  height: number;
  color: boolean;
}

/** Cut a line to the width. Lines are not padded (Ink handles every character written, so
 * padding costs); only bars with a background (`bar`) fill the width. Every line is shown
 * through `visible` first: a caption, name or message from a file or the user can hold control
 * characters (ESC, C1, CR, LF), which would otherwise reach the terminal. */
function fit(line: string, width: number): string {
  const text = visible(line);
  // An empty Text takes no row in Ink: a blank row is a space, so every row keeps its place
  // (an empty caption, the task table's spare rows, the help's gaps).
  if (text === '') return ' ';
  return text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text;
}

function bar(text: string, width: number): string {
  return fit(text, width).padEnd(width);
}

/** The header: REC while recording, the design, time (tick, and the engine's step: the one
 * step count the log's first column, `back N` and every summary use), the run state with its
 * pace (shown while paused too: space resumes at it), and the findings. When the line is too
 * long the program's name goes first. */
function Header({ view, ui, width, color }: { view: WorldView; ui: UiView; width: number; color: boolean }) {
  const run = ui.running ? `running ${ui.pace}` : `paused (pace ${ui.pace})`;
  const rest = `design ${view.design}${view.sysctl ? `  ${view.sysctl}` : ''}  tick ${view.tick}  step ${view.step}  seed ${view.seed}  findings ${view.findings}  ${run}`;
  const rec = ui.recording ? 'REC ' : '';
  const name = rec.length + `pmuplay  ${rest}`.length <= width ? 'pmuplay  ' : '';
  const inverse = { inverse: true, bold: true, color: color && view.findings > 0 ? 'red' : undefined } as const;
  if (!rec) return <Text {...inverse}>{bar(name + rest, width)}</Text>;
  return (
    <Text>
      <Text bold inverse color={color ? 'red' : undefined}>
        {rec}
      </Text>
      <Text {...inverse}>{bar(name + rest, width - rec.length)}</Text>
    </Text>
  );
}

function counterText(cpu: CpuView): string {
  const parts = cpu.counters.map((c) => `${c.name} ${c.owner ?? '?'}${c.stale ? '~' : ''} ${c.value}${c.overflow ? '!' : ''}`);
  if (cpu.free) parts.push(`free ${cpu.free}`);
  return parts.join('  ');
}

function Pane({ cpu, width, color }: { cpu: CpuView; width: number; color: boolean }) {
  // Access the design does not mean the running task to have: `!` and the reason, in red.
  const access = cpu.warning
    ? `${cpu.accessLabel} !${cpu.access} ${cpu.warning}`
    : `${cpu.accessLabel} ${cpu.granted ? '+' : ''}${cpu.access}${cpu.granted ? ` for ${cpu.grantedFor}` : ''}`;
  const halted = cpu.mode === 'HALTED';
  return (
    <Box flexDirection="column" width={width}>
      <Text inverse color={color && halted ? 'red' : undefined}>{bar(`CPU${cpu.id} ${cpu.mode}  ${cpu.task}  ${cpu.mm}`, width)}</Text>
      <Text color={color ? (cpu.warning ? 'red' : cpu.granted && cpu.task !== '-' ? 'green' : undefined) : undefined}>{fit(access, width)}</Text>
      <Text>{fit(`PMSELR ${cpu.pmselr}   IPIs ${cpu.ipis}`, width)}</Text>
      <Text dimColor={color}>{fit(counterText(cpu), width)}</Text>
    </Box>
  );
}

function Grid({ view, l, color }: { view: WorldView; l: Extract<Layout, { fits: true }>; color: boolean }) {
  const rows: CpuView[][] = [];
  const shown = view.cpus.slice(0, l.shownCpus);
  for (let i = 0; i < shown.length; i += l.cols) rows.push(shown.slice(i, i + l.cols));
  return (
    <Box flexDirection="column">
      {rows.map((row, r) => (
        <Box key={r} flexDirection="row" gap={2}>
          {row.map((cpu) => (
            <Pane key={cpu.id} cpu={cpu} width={l.paneWidth} color={color} />
          ))}
        </Box>
      ))}
    </Box>
  );
}

function Tasks({ tasks, mms, rows, width, playground }: { tasks: TaskRow[]; mms: string[]; rows: number; width: number; playground: boolean }) {
  const head = `${'PID'.padEnd(6)}${'NAME'.padEnd(10)}${'ARCH'.padEnd(5)}${'STATE'.padEnd(10)}${'CPU'.padEnd(4)}${'MM'.padEnd(5)}EVENTS (fd:type +u readable +m mapped * counting)`;
  const shown = tasks.length > rows ? tasks.slice(0, rows - 1) : tasks;
  const lines = shown.map((t) => `${String(t.pid).padEnd(6)}${t.name.slice(0, 9).padEnd(10)}${t.arch.padEnd(5)}${t.state.padEnd(10)}${String(t.cpu).padEnd(4)}${`mm${t.mm}`.padEnd(5)}${t.events}`);
  if (tasks.length > rows) lines.push(`… ${tasks.length - shown.length} more tasks`);
  // Only the playground takes commands; a replay or demo with no task yet just has none.
  if (tasks.length === 0) lines.push(playground ? 'no tasks yet — try: spawn app' : 'no tasks yet');
  while (lines.length < rows) lines.push(mms[lines.length - tasks.length - (tasks.length === 0 ? 1 : 0)] ?? '');
  return (
    <Box flexDirection="column">
      <Text bold>{fit(head, width)}</Text>
      {lines.map((l, i) => (
        <Text key={i}>{fit(l, width)}</Text>
      ))}
    </Box>
  );
}

function logText(e: LogLine): string {
  const where = e.cpu === null ? '    ' : `cpu${e.cpu}`;
  return `${String(e.step).padStart(5)} ${where} ${e.kind === 'finding' ? '! ' : ''}${e.text}`;
}

/** The log's lines the view's filters keep. Narration is not among them: the caption shows
 * it (whole), and a step back brings an earlier one back. */
function filtered(all: LogLine[], { findings, cpu, pid }: LogView): LogLine[] {
  return all.filter((e) => e.kind !== 'say' && (!findings || e.kind === 'finding') && (cpu === null || e.cpu === cpu) && (pid === null || e.pids.includes(pid)));
}

function Log({ log: all, rows, width, color, view }: { log: LogLine[]; rows: number; width: number; color: boolean; view: LogView }) {
  const { scroll, findings, cpu, pid } = view;
  const log = filtered(all, view);
  // Scrolled up, or filtered: the last row says so and how to get back.
  const filters = [findings ? 'findings only (f: all)' : '', cpu === null ? '' : `cpu${cpu} only (c: next)`, pid === null ? '' : `task ${pid} only (t: next)`].filter(Boolean);
  const marked = scroll > 0 || filters.length > 0;
  const room = marked ? rows - 1 : rows;
  const up = Math.max(0, Math.min(scroll, log.length - room));
  const shown = log.slice(Math.max(0, log.length - room - up), log.length - up);
  const mark = `-- ${filters.length ? filters.join(', ') : 'log'}${up > 0 ? `, ${up} lines up (End: newest)` : ''}${log.length === 0 ? `: none among the newest ${all.length} lines` : ''} --`;
  const pad = Array.from({ length: rows - shown.length - (marked ? 1 : 0) }, () => '');
  return (
    <Box flexDirection="column">
      {pad.map((_, i) => (
        <Text key={`p${i}`}> </Text>
      ))}
      {shown.map((e, i) => (
        <Text key={i} color={color && e.kind === 'finding' ? 'red' : undefined} bold={e.kind === 'finding'}>
          {fit(logText(e), width)}
        </Text>
      ))}
      {marked && <Text dimColor={color}>{fit(mark, width)}</Text>}
    </Box>
  );
}

function CommandLine({ ui, width, color }: { ui: UiView; width: number; color: boolean }) {
  if (ui.mode !== 'input') {
    return <Text dimColor={color}>{fit(ui.hint ?? ': a command (help)  ? keys  space run/pause  . step  , back  e findings  q quit', width)}</Text>;
  }
  // Each part made visible on its own, so the cursor stays on the character it is on.
  const before = visible(ui.line.slice(0, ui.cursor));
  const at = visible(ui.line[ui.cursor] ?? ' ');
  const after = visible(ui.line.slice(ui.cursor + 1));
  const room = width - 2;
  const start = Math.max(0, ui.cursor - room + 1);
  return (
    <Text>
      {': '}
      {before.slice(start)}
      <Text inverse>{at}</Text>
      {after.slice(0, Math.max(0, room - (before.length - start) - 1))}
    </Text>
  );
}

/** A page's lines as rows: each wrapped, the selected one's rows marked (and where it is). */
function pageRows(page: PageView, width: number): { rows: string[]; selected: [number, number] | null } {
  const rows: string[] = [];
  let selected: [number, number] | null = null;
  // A blank Text line takes no row in Ink: `help CMD`'s forms go without the blank between them.
  page.lines!.forEach((l, i) => {
    if (l === '') return;
    const start = rows.length;
    const mark = page.selected === null ? '' : '  ';
    rows.push(...wrapIndented(l, width - 1 - mark.length).map((r, j) => (i === page.selected && j === 0 ? '> ' : mark) + r));
    if (i === page.selected) selected = [start, rows.length];
  });
  return { rows, selected };
}

export function Help({ width, rows, kind = 'playground', page }: { width: number; rows: number; kind?: UiView['kind']; page?: PageView | null }) {
  const keys = keysFor(kind).map(([k, what]) => `  ${k.padEnd(10)}${what}`);
  if (page?.lines) {
    const p = pageRows(page, width);
    const end = page.keys ?? (page.lines.some((l) => l.startsWith('g: ')) ? 'g goes back; any other key closes this page.' : 'Any key closes this page.');
    // The window keeps the selected line in view, or starts where the page was scrolled to.
    const room = rows - 1;
    const top = Math.max(0, Math.min(p.selected ? p.selected[0] - 1 : (page.top ?? 0), p.rows.length - room));
    const shown = p.rows.slice(top, top + room);
    return (
      <Box flexDirection="column" height={rows}>
        {shown.map((l, i) => {
          const on = p.selected !== null && top + i >= p.selected[0] && top + i < p.selected[1];
          return (
            <Text key={i} inverse={on} bold={on}>
              {fit(l, width)}
            </Text>
          );
        })}
        <Text>{fit(top + room < p.rows.length ? `… ${p.rows.length - top - room} more ${p.rows.length - top - room === 1 ? 'row' : 'rows'} below (down, PgDn; up goes back)` : top > 0 ? `${end} (up: the rows above)` : end, width)}</Text>
      </Box>
    );
  }
  const lines =
    kind === 'playground'
      ? [
          'Keys',
          ...keys,
          '',
          'Commands (as in .pmu scripts; help CMD: its usage, kernel terms, an example)',
          ...wrapWords(commandWords.join('  '), width - 2).map((l) => `  ${l}`),
          "  help marks: what the screen's marks mean; save FILE, quit: here only",
          'Narrated demos: pmuplay demo (in a clone: npm start -s -- demo)',
          'Any key closes this help.',
        ]
      : [
          `Keys (${kind === 'demo' ? 'a demo' : 'a replay'} plays its file's commands and is read-only)`,
          ...keys,
          '',
          'The header counts engine steps (a tick N is N); the message line, lines of the file.',
          'To type commands of your own, start the playground: pmuplay',
          '',
          'Any key closes this help.',
        ];
  return (
    <Box flexDirection="column" height={rows}>
      {(lines.length > rows ? [...lines.slice(0, rows - 1), `… ${lines.length - rows + 1} more lines: make the window taller`] : lines).map((l, i) => (
        <Text key={i}>{fit(l, width)}</Text>
      ))}
    </Box>
  );
}

/** Wrap a line that may start indented; its continuation lines are indented two more. */
function wrapIndented(line: string, width: number): string[] {
  const indent = /^ */.exec(line)![0].length;
  const [first = '', ...rest] = wrapWords(line.trimStart(), width - indent - 2);
  return [' '.repeat(indent) + first, ...rest.map((l) => ' '.repeat(indent + 2) + l)];
}

function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line.length + w.length + 1 > width) {
      out.push(line.trimEnd());
      line = '';
    }
    line += w + ' ';
  }
  if (line.trim()) out.push(line.trimEnd());
  return out;
}

/**
 * A caption as the lines it takes: `» ` then the text wrapped at spaces (a word longer than a
 * line is broken), at most `captionLinesMax` lines, the last cut with `…` only if the text is
 * longer still (a `say` holds at most 200 characters: three lines of an 80-column screen). The
 * text is made visible first, so an escaped control character is never split from its line.
 */
export function captionLines(caption: string | null, width: number): string[] {
  if (!caption) return [''];
  const room = width - 2;
  const out: string[] = [];
  let line = '';
  const push = () => {
    out.push(line.trimEnd());
    line = '';
  };
  for (const word of visible(caption).split(' ')) {
    let w = word;
    if (line && line.length + 1 + w.length > room) push();
    while (w.length > room) {
      if (line) push();
      line = w.slice(0, room);
      w = w.slice(room);
      push();
    }
    line = line ? `${line} ${w}` : w;
  }
  if (line) push();
  const shown = out.slice(0, captionLinesMax).map((l, i) => `${i === 0 ? '»' : ' '} ${l}`);
  if (out.length > captionLinesMax) shown[captionLinesMax - 1] = fit([shown[captionLinesMax - 1], ...out.slice(captionLinesMax)].join(' '), width);
  return shown;
}

/** The rows of the screen's parts: the layout, and the body (what a page takes), or null when
 * the window is too small. */
function rowsOf(view: WorldView, ui: UiView, width: number, height: number) {
  const caption = width >= minWidth ? captionLines(ui.caption, width) : [''];
  const l = layout(width, height, view.cpus.length, caption.length);
  return l.fits ? { l, caption, body: l.gridRows * 4 + 1 + l.taskRows + 1 + l.logRows } : null;
}

/** How far this screen lets the log scroll up (the lines its filters keep, less the rows the
 * log has once scrolled) and a page scroll down, and the rows a page shows at once. */
export function screenLimits(view: WorldView, ui: UiView, width: number, height: number): Limits {
  const r = rowsOf(view, ui, width, height);
  if (!r) return { logUp: 0, pageTop: 0, pageRows: 1 };
  const logUp = Math.max(0, filtered(view.log, ui.log ?? allLog).length - (r.l.logRows - 1));
  const pageTop = ui.page?.lines ? Math.max(0, pageRows(ui.page, width).rows.length - (r.body - 1)) : 0;
  return { logUp, pageTop, pageRows: Math.max(1, r.body - 1) };
}

/** The limits on the screen of `size` (null before the first frame: as far as the view goes). */
export function limitsFor(world: World, ui: UiView, size: { width: number; height: number } | null): Limits {
  return size ? screenLimits(viewOf(world), ui, size.width, size.height) : { logUp: Infinity, pageTop: Infinity, pageRows: 10 };
}

/** The screen, drawn again only when its props change (App makes them once a version). */
export const Screen = memo(function Screen({ view, ui, width, height, color }: ScreenProps) {
  const r = rowsOf(view, ui, width, height);
  if (!r) {
    return <Text>{`make the window at least ${minWidth}x${minHeight} (it is ${width}x${height})`}</Text>;
  }
  const { l, caption, body } = r;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header view={view} ui={ui} width={width} color={color} />
      {ui.mode === 'page' ? (
        <Help width={width} rows={body} kind={ui.kind} page={ui.page} />
      ) : (
        <Box flexDirection="column">
          <Grid view={view} l={l} color={color} />
          {view.cpus.length > l.shownCpus ? <Text>{`… CPUs ${l.shownCpus}-${view.cpus.length - 1} not shown: make the window taller`}</Text> : null}
          <Tasks tasks={view.tasks} mms={view.mms} rows={l.taskRows} width={width} playground={(ui.kind ?? 'playground') === 'playground'} />
          <Text> </Text>
          <Log log={view.log} rows={l.logRows} width={width} color={color} view={ui.log ?? allLog} />
        </Box>
      )}
      {caption.map((line, i) => (
        <Text key={`c${i}`} color={color ? 'cyan' : undefined}>
          {fit(line, width)}
        </Text>
      ))}
      <CommandLine ui={ui} width={width} color={color} />
      <Text color={color && ui.message?.error ? 'red' : undefined}>{fit(ui.message ? (ui.message.error ? `error: ${ui.message.text}` : ui.message.text) : '', width)}</Text>
    </Box>
  );
});
