/**
 * `pmuplay replay FILE`: a recording played on the same screen as the playground. Space plays
 * and pauses, `.` steps, `,` steps back, `+`/`-` change the speed, `n` plays to the next
 * finding; the message line shows the position in the file (`line 12/44`; the header counts
 * the engine's steps) and the first checkpoint that did not match.
 * Playing, at any speed and to the next finding, happens in slices of at most `sliceMs`, so
 * keys and signals are answered at once; Esc stops a search for the next finding.
 */
import { useApp, useInput } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import { type KeyInfo, type LogView, keyAction, keysOf, moveLog } from './keys.js';
import { type Player, captionHold } from './player.js';
import { paceName, paces, sliceMs } from './playground.js';
import { Screen } from './Screen.js';
import { useTerminalSize } from './use-terminal-size.js';
import { viewOf } from './view.js';

export interface ReplayProps {
  player: Player;
  name: string;
  color: boolean;
  /** Present a demo: play at once at a reading pace, and stop at each `pause` line. */
  demo?: boolean;
  size?: { width: number; height: number };
}

export function ReplayApp({ player, name, color, demo, size }: ReplayProps) {
  const { exit } = useApp();
  const [, repaint] = useReducer((n: number) => n + 1, 0);
  const [running, setRunning] = useState(demo === true);
  const [pace, setPace] = useState(demo ? 1 : 3);
  const [help, setHelp] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [log, setLog] = useState<LogView>({ scroll: 0, findings: false });
  const dims = useTerminalSize(size);

  // In a demo a caption holds the screen for a few more beats, so the room can read it: a beat
  // for every 40 characters past the first 40 (a short one, like the PMSELR channel's bits so
  // far, lets the demo go on at once).
  const hold = useRef(0);
  // The timer's view of `running`, changed at once: a tick already queued when the player
  // pauses (a `pause` line, a key) must not play on past it.
  const live = useRef(running);
  live.current = running;
  const stop = () => {
    live.current = false;
    setRunning(false);
  };
  // A search for the next finding under way: it plays a slice at a time until it finds one.
  const seeking = useRef<NodeJS.Immediate | null>(null);
  const stopSeeking = () => {
    if (seeking.current) clearImmediate(seeking.current);
    seeking.current = null;
  };
  const seek = () => {
    const until = performance.now() + sliceMs;
    const r = player.seekFinding(() => performance.now() > until);
    seeking.current = r === 'more' ? setImmediate(seek) : null;
    if (r === 'more') setNote(`looking for the next finding: line ${player.lineNumber}…  Esc stops`);
    else setNote(r === 'found' ? null : 'no finding after this point');
    repaint();
  };
  useEffect(() => stopSeeking, []);
  useEffect(() => {
    if (!running) return;
    const speed = paces[pace]!;
    const timer = setInterval(() => {
      if (!live.current) return;
      if (hold.current > 0) {
        hold.current--;
        return;
      }
      // At "max", play a slice of lines per frame; the screen still repaints ~30 times a second.
      const until = performance.now() + (speed === Infinity ? sliceMs : 0);
      let paused = false;
      let said = '';
      do {
        const command = player.step()?.line.command;
        paused = command?.kind === 'pause';
        said = command?.kind === 'say' ? command.text : '';
      } while (speed === Infinity && performance.now() < until && !player.atEnd && !paused);
      if (demo && said) hold.current = captionHold(said, speed, player.nextKind);
      if (paused) setNote('paused: space to go on');
      if (paused || player.atEnd || player.divergence) stop();
      repaint();
    }, speed === Infinity ? 33 : 1000 / speed);
    return () => clearInterval(timer);
  }, [running, pace, player, demo]);

  const onKey = (input: string, key: KeyInfo) => {
    if (seeking.current) {
      if (key.escape) {
        stopSeeking();
        setNote('stopped looking for the next finding');
      } else if (input === 'q' || (key.ctrl && input === 'c')) exit();
      return;
    }
    const a = keyAction(help ? 'help' : 'normal', input, key);
    setNote(null);
    switch (a.type) {
      case 'quit':
        exit();
        return;
      case 'help':
        setHelp(true);
        return;
      case 'close-help':
        setHelp(false);
        return;
      case 'toggle-run':
        setRunning((r) => !r && !player.atEnd);
        return;
      case 'step':
        stop();
        player.step();
        break;
      case 'back':
        stop();
        hold.current = 0;
        if (!player.back()) setNote(`at the start of the ${demo ? 'demo' : 'recording'}`);
        break;
      case 'next-finding':
        stop();
        seek();
        return;
      case 'faster':
        setPace((p) => Math.min(paces.length - 1, p + 1));
        break;
      case 'slower':
        setPace((p) => Math.max(0, p - 1));
        break;
      case 'focus':
        setNote(`a ${demo ? 'demo' : 'replay'} is read-only (to type commands, start the playground: pmuplay)`);
        break;
      case 'log':
        setLog((v) => moveLog(v, a.move));
        break;
      default:
        break;
    }
    repaint();
  };

  // A burst of keys that arrived together is each key (`...` steps three times).
  useInput((input, key) => {
    for (const k of keysOf(input, key as KeyInfo)) onKey(k.input, k.key);
  });

  const world = player.timeline.world;
  // A file line, named as one: the engine's step is the header's.
  const position = `${demo ? 'demo' : 'replay'} ${name}: line ${player.playedLine}/${player.lastLine}${player.atEnd ? ', the end' : ''}`;
  const problem = player.rejected
    ? `line ${player.rejected.line} was rejected: ${player.rejected.text}`
    : player.divergence
      ? `line ${player.divergence.line}: checkpoint differs: ${player.divergence.text}`
      : null;
  return (
    <Screen
      view={viewOf(world, 200)}
      ui={{
        mode: help ? 'help' : 'normal',
        line: '',
        cursor: 0,
        message: { text: problem ?? note ?? position, error: problem !== null },
        hint: `${demo ? 'demo' : 'replay'}: space play/pause  . line  , back  n finding  +/- pace  ? keys  q quit`,
        kind: demo ? 'demo' : 'replay',
        caption: player.caption,
        running,
        pace: paceName(paces[pace]!),
        logScroll: log.scroll,
        logFindings: log.findings,
      }}
      width={dims.width}
      height={dims.height}
      color={color}
    />
  );
}
