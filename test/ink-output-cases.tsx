/**
 * Fixed Ink trees, each rendered as a few frames in a row, for the byte-identity test of the Ink
 * patch (test/ink-output.test.ts). The same module makes the expected frames, bundled against
 * stock Ink (test/ink-output-fixtures.ts), and the frames under test, run against the repo's
 * patched Ink. It covers what Ink's output stage handles: SGR styles from props and from the text
 * itself, wide and combining characters, emoji, cut and wrapped lines, clipping, borders,
 * overlapping writes, <Static>, and every character of the patch's plain-text fast path with its
 * neighbours, in truecolour (test/terminal-env.ts, imported before Ink).
 */
import './terminal-env.js';
import { FrameRecorder } from '../src/tui/frame-recorder.js';
import { Box, Static, Text, render } from 'ink';
import type { ReactElement } from 'react';


interface Case {
  columns: number;
  rows: number;
  /** The trees rendered one after another on one mounted app. */
  frames: ReactElement[];
}

// --- A screen like pmuplay's ---------------------------------------------------------------

function Pane({ id, tick, warn }: { id: number; tick: number; warn: boolean }) {
  return (
    <Box flexDirection="column" width={38}>
      <Text inverse color={id === 3 ? 'red' : undefined}>{`CPU${id} EL0  ${100 + id} t${id} A64  mm${id + 1}`.padEnd(38)}</Text>
      <Text color={warn ? 'red' : 'green'}>{`USERENR +CR|ER for mm${id + 1} (switch_mm to t${id}, tick ${tick})`.slice(0, 37) + '…'}</Text>
      <Text>{`PMSELR ${tick % 7}   IPIs ${tick * id}`}</Text>
      <Text dimColor>{`CC ${100 + id}:3 0x${(0xffffffff80000000n + BigInt(tick * 1000 + id)).toString(16)}  free E0-E5`}</Text>
    </Box>
  );
}

function Screen({ tick }: { tick: number }) {
  return (
    <Box flexDirection="column" width={160} height={30}>
      <Text inverse bold color={tick > 1 ? 'red' : undefined}>{`pmuplay  design v4  tick ${tick}  step ${tick + 197}  seed 2026  findings ${tick > 1 ? 1 : 0}  running max`.padEnd(160)}</Text>
      {[0, 1].map((row) => (
        <Box key={row} flexDirection="row" gap={2}>
          {[0, 1, 2, 3].map((c) => (
            <Pane key={c} id={row * 4 + c} tick={tick} warn={tick === 2 && c === 1} />
          ))}
        </Box>
      ))}
      <Text bold>{'PID   NAME      ARCH STATE     CPU MM   EVENTS (fd:type +u readable +m mapped * counting)'}</Text>
      {Array.from({ length: 8 }, (_, i) => (
        <Text key={i}>{`${100 + i}   t${i}        A64  ${(i + tick) % 3 === 0 ? 'EL0  ' : 'ready'}     ${i % 4}   mm${i + 1}  3:cyc+u+m${i < 4 ? '*' : ''}`}</Text>
      ))}
      <Text> </Text>
      {Array.from({ length: 6 }, (_, i) => (
        <Text key={`l${i}`} color={i === 4 ? 'red' : i === 2 ? 'cyan' : undefined} bold={i === 4}>
          {`  ${190 + tick + i} cpu${i} ${i === 4 ? '! access/other-mm: ' : ''}PMUSERENR_EL0 = CR|ER for mm ${i + tick} — IPI refresh_pmuserenr`}
        </Text>
      ))}
      <Text color="cyan">{'» CPUs 0, 1 and 2 now let another mm read mm1’s counters: the red ! line in the log is the monitor’s finding.'}</Text>
      <Text>
        {': say '}
        {'hello'.slice(0, tick + 1)}
        <Text inverse> </Text>
      </Text>
      <Text color="red">{tick === 2 ? 'error: say: expected a caption in double quotes at column 5' : ' '}</Text>
    </Box>
  );
}

// --- Wide, combining and emoji characters --------------------------------------------------

const wide = [
  'CJK 一二三四五六七八九十 and ascii',
  'fullwidth ＡＢＣ１２３ and halfwidth ｶﾀｶﾅ',
  'emoji 😀 flag 🇯🇵 heart ❤️ family 👨‍👩‍👧 keycap 1️⃣',
  'combining e\u0301 a\u0308 n\u0303, and Hangul \u1100\u1161\u11a8 한국어',
  'zero-width\u200bspace, soft\u00adhyphen, tab\there',
];

function Wide({ step }: { step: number }) {
  return (
    <Box flexDirection="column" width={60}>
      {wide.map((line, i) => (
        <Text key={i} color={i === step % wide.length ? 'yellow' : undefined} backgroundColor={i === 1 ? 'blue' : undefined}>
          {line}
        </Text>
      ))}
      <Box width={12}>
        <Text>{wide[step % wide.length]}</Text>
      </Box>
      <Box width={14}>
        <Text wrap="truncate">{wide[(step + 1) % wide.length]}</Text>
      </Box>
    </Box>
  );
}

// --- Cut lines, wrapping, clipping, borders, overlapping writes ----------------------------

const long = 'The quick brown fox jumps over the lazy dog, then over the sleepy cat — again and again…';

function Cut({ step }: { step: number }) {
  return (
    <Box flexDirection="column" width={70}>
      <Box width={30} borderStyle="round" borderColor="green">
        <Text>{long.slice(step)}</Text>
      </Box>
      <Box width={30} borderStyle="single">
        <Text wrap="truncate-middle" color="magenta">
          {long}
        </Text>
      </Box>
      <Box width={20}>
        <Text wrap="truncate-start" bold>
          {long.slice(0, 40 + step)}
        </Text>
      </Box>
      <Box width={24} height={4} overflow="hidden" borderStyle="double">
        <Text backgroundColor="#336699" color="#ffcc00">{`${long}\n${long}\n${long}`}</Text>
      </Box>
      <Box width={40} height={3}>
        <Box position="absolute" marginLeft={step}>
          <Text color="ansi256(208)">{'一二三 overlapped ⟶ 😀'}</Text>
        </Box>
        <Box position="absolute" marginLeft={3}>
          <Text underline italic strikethrough>
            {'written over'}
          </Text>
        </Box>
      </Box>
      <Box paddingLeft={2} marginTop={1} borderStyle="bold" borderDimColor>
        <Text color="rgb(10, 200, 30)">{'padded ' + 'x'.repeat(step)}</Text>
      </Box>
    </Box>
  );
}

// --- SGR sequences in the text itself -----------------------------------------------------

const esc = '\x1b';
const raw = [
  `${esc}[31mred${esc}[39m plain ${esc}[1;4mbold underline${esc}[22;24m`,
  `${esc}[38;5;123m256 colour${esc}[0m ${esc}[38;2;10;20;30;48;2;200;100;0mtruecolour${esc}[m after reset`,
  `${esc}[1m${esc}[2mbold and dim${esc}[22m none ${esc}[7minverse${esc}[27m${esc}[;1mempty param`,
  `${esc}[2Jcleared${esc}[Hhome (not SGR: sanitised away) ${esc}[32mgreen to the end`,
  `${esc}]8;;https://example.com${esc}\\link${esc}]8;;${esc}\\ and ${esc}]8;;https://x.y\x07bel link${esc}]8;;\x07`,
  `${esc}[31m… ellipsis — dash “quotes” »guillemets« ┌─┐ box${esc}[39m`,
  `${esc}[38:5:1mcolon params${esc}[0m and a stray ${esc}[ and ${esc} alone`,
];

function Raw({ step }: { step: number }) {
  return (
    <Box flexDirection="column">
      {raw.map((line, i) => (
        <Text key={i} dimColor={i === step}>
          {line}
        </Text>
      ))}
    </Box>
  );
}

// --- Every character of the plain-text fast path, and its neighbours -----------------------

function codePoints(ranges: [number, number][]): string {
  let s = '';
  for (const [from, to] of ranges) for (let c = from; c <= to; c++) s += String.fromCodePoint(c);
  return s;
}

/** The patch's plain characters (ink/build/plain-text.js), and code points around them. */
const plain = codePoints([[0x20, 0x7e], [0xa0, 0xac], [0xae, 0xff], [0x2010, 0x2027], [0x2500, 0x257f]]);
const around = codePoints([[0x7f, 0x7f], [0x85, 0x85], [0xad, 0xad], [0x100, 0x104], [0x2ff, 0x302], [0x2008, 0x200f], [0x2028, 0x2031], [0x24ff, 0x24ff], [0x2580, 0x2582], [0xfe0f, 0xfe0f], [0xff01, 0xff02]]);

function chunks(s: string, n: number): string[] {
  const chars = [...s];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += n) out.push(chars.slice(i, i + n).join(''));
  return out;
}

function Charset({ colored }: { colored: boolean }) {
  // A neighbour alone among plain characters, so its line would take the fast path if it were
  // plain. The | after each line stands where Ink measured the line to end; the # written over
  // its third cell, and the number at column 70, stand where Ink counted the cells.
  const lines = [...chunks(plain, 64), ...[...around].map((c, i) => `${plain[i]}${c}${plain[i + 1]} x${c}${c}y ${c}`)];
  return (
    <Box flexDirection="column" width={80}>
      {lines.map((line, i) => (
        <Box key={i}>
          <Text color={colored && i % 2 === 0 ? 'blue' : undefined} bold={colored && i % 3 === 0}>
            {line}
          </Text>
          <Text>|</Text>
          <Box position="absolute" marginLeft={2}>
            <Text>#</Text>
          </Box>
          <Box position="absolute" marginLeft={70}>
            <Text>{`${i}`}</Text>
          </Box>
        </Box>
      ))}
    </Box>
  );
}

// --- Static output -------------------------------------------------------------------------

function WithStatic({ items }: { items: number }) {
  return (
    <Box flexDirection="column">
      <Static items={Array.from({ length: items }, (_, i) => i)}>
        {(i) => (
          <Text key={i} color="green">
            {`done ${i} ✔`}
          </Text>
        )}
      </Static>
      <Text>{`working on ${items} …`}</Text>
    </Box>
  );
}

export const cases: Record<string, Case> = {
  'pmuplay-like screen': { columns: 160, rows: 30, frames: [1, 2, 3, 3].map((t) => <Screen key="s" tick={t} />) },
  'wide, combining and emoji characters': { columns: 80, rows: 20, frames: [0, 1, 2].map((s) => <Wide key="w" step={s} />) },
  'cut, wrapped, clipped and overlapping text': { columns: 80, rows: 30, frames: [0, 2, 5].map((s) => <Cut key="c" step={s} />) },
  'SGR sequences in the text': { columns: 100, rows: 10, frames: [0, 1].map((s) => <Raw key="r" step={s} />) },
  'every plain character and its neighbours': { columns: 80, rows: 60, frames: [false, true].map((c) => <Charset key="p" colored={c} />) },
  'static output': { columns: 40, rows: 10, frames: [1, 3].map((n) => <WithStatic key="st" items={n} />) },
};

/** Each case's frames, as Ink wrote them. */
export function framesOf(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, c] of Object.entries(cases)) {
    const term = new FrameRecorder(c.columns, c.rows);
    const app = render(c.frames[0]!, { stdout: term.stream, debug: true, patchConsole: false, exitOnCtrlC: false });
    for (const frame of c.frames.slice(1)) app.rerender(frame);
    app.unmount();
    app.cleanup();
    out[name] = term.frames;
  }
  // The hex colour of the 'cut' case is truecolour only at colour level 3.
  if (!out['cut, wrapped, clipped and overlapping text']!.some((f) => f.includes('\x1b[38;2;'))) throw new Error('colour is not at level 3: was Ink loaded before test/terminal-env.ts?');
  return out;
}
