import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommand } from './engine/parse.js';
import { parseScript } from './engine/script.js';
import { Timeline } from './engine/timeline.js';
import { defaultConfig } from './engine/world.js';
import { type SourceFile, runFiles } from './headless.js';
import { Recorder, checkpointEvery, saveBranch, whyNotWritable } from './recorder.js';
import { fifoWithRescue, killRescues } from './test-fifo.js';

const dir = mkdtempSync(join(tmpdir(), 'pmuplay-rec-'));
afterEach(killRescues);

function verify(text: string, name = 'r.pmu'): { code: number; out: string[] } {
  const out: string[] = [];
  const code = runFiles([{ name, text } as SourceFile], { overrides: {}, json: false, strict: false, quiet: true, color: false }, (l) => out.push(l));
  return { code, out };
}

describe('recording a session', () => {
  it('writes the header, each command as it is accepted, gathered ticks and checkpoints that replay', () => {
    const path = join(dir, 'live.pmu');
    const t = new Timeline(defaultConfig);
    const rec = Recorder.open(path, defaultConfig);
    if (typeof rec === 'string') throw new Error(rec);
    const typed = ['spawn a on 0', 'spawn b on 1', 'open 100 cycles user', 'mmap 100 3'];
    for (const line of typed) {
      const r = parseCommand(line);
      if (!r.ok || !r.command) throw new Error(line);
      t.apply(r.command);
      rec.command(line, t.world);
    }
    // Written at once: what a kill -9 would leave.
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1 + typed.length);
    for (let i = 0; i < 120; i++) {
      t.apply({ kind: 'tick', n: 1 });
      rec.tick(1, t.world);
      if (i % 7 === 6) rec.flushTicks(t.world);
    }
    rec.close(t.world);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^pmuplay 1 seed=1 /);
    expect(text).toContain('\ntick 7\n');
    expect(text.match(/^checkpoint /gm)!.length).toBeGreaterThanOrEqual(1);
    expect(verify(text).code).toBe(0);
  });

  it('refuses at the start a path whose directory is missing or read-only, writing nothing', () => {
    expect(Recorder.open(join(dir, 'missing', 'x.pmu'), defaultConfig)).toBe(`cannot record to ${join(dir, 'missing', 'x.pmu')}: the directory ${join(dir, 'missing')} does not exist`);
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const r = Recorder.open(join(ro, 'x.pmu'), defaultConfig);
    // Root may write anywhere: then the check can only say so by succeeding.
    if (process.getuid?.() !== 0) expect(r).toBe(`cannot record to ${join(ro, 'x.pmu')}: the directory ${ro} is not writable`);
    expect(Recorder.open(dir, defaultConfig)).toBe(`cannot record to ${dir}: ${dir} is a directory`);
  });

  it('save writes a whole branch through a temporary file and never leaves a half file', () => {
    const path = join(dir, 'saved.pmu');
    writeFileSync(path, 'the old file\n');
    const t = new Timeline(defaultConfig);
    for (let i = 0; i < 2 * checkpointEvery + 3; i++) t.apply({ kind: 'spawn', name: `t${i}`, aarch32: false, cpu: null });
    expect(saveBranch(path, defaultConfig, t.history(), { overwrite: true })).toEqual({ kind: 'saved', message: `saved to ${path}` });
    const text = readFileSync(path, 'utf8');
    expect(text.match(/^checkpoint /gm)).toHaveLength(3);
    expect(verify(text).code).toBe(0);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(saveBranch(join(dir, 'nope', 'x.pmu'), defaultConfig, [], { overwrite: true }).message).toMatch(/does not exist$/);
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });
});

describe('recording and saving over what is there', () => {
  const fresh = (() => {
    let n = 0;
    return () => {
      const d = join(dir, `over-${n++}`);
      mkdirSync(d);
      return d;
    };
  })();
  const mode = (path: string) => statSync(path).mode & 0o7777;

  it('save asks before replacing a file (nothing written), and with overwrite keeps its mode 0600', () => {
    const d = fresh();
    const path = join(d, 'mine.pmu');
    writeFileSync(path, 'the old file\n');
    chmodSync(path, 0o600);
    expect(saveBranch(path, defaultConfig, [])).toEqual({ kind: 'exists', message: `${path} exists` });
    expect(readFileSync(path, 'utf8')).toBe('the old file\n');
    expect(saveBranch(path, defaultConfig, [{ kind: 'tick', n: 1 }], { overwrite: true }).kind).toBe('saved');
    expect(readFileSync(path, 'utf8')).toMatch(/^pmuplay 1 /);
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(d)).toEqual(['mine.pmu']);
  });

  it('save through a link names where it leads; save to a link to /dev/null or to a FIFO fails, naming the file', { timeout: 30_000 }, () => {
    const d = fresh();
    writeFileSync(join(d, 'real.pmu'), 'x\n');
    symlinkSync('real.pmu', join(d, 'link.pmu'));
    expect(saveBranch(join(d, 'link.pmu'), defaultConfig, [])).toEqual({ kind: 'exists', message: `${join(d, 'real.pmu')} (where the link ${join(d, 'link.pmu')} leads) exists` });
    symlinkSync('/dev/null', join(d, 'null.pmu'));
    expect(saveBranch(join(d, 'null.pmu'), defaultConfig, [], { overwrite: true })).toEqual({
      kind: 'failed',
      message: `cannot save to ${join(d, 'null.pmu')}: /dev/null (where the link ${join(d, 'null.pmu')} leads) is a character device, not a regular file; only regular files are written`,
    });
    const fifo = fifoWithRescue(join(d, 'fifo.pmu'), 'read');
    expect(saveBranch(fifo, defaultConfig, [], { overwrite: true })).toEqual({ kind: 'failed', message: `cannot save to ${fifo}: ${fifo} is a FIFO (named pipe), not a regular file; only regular files are written` });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(lstatSync(join(d, 'null.pmu')).isSymbolicLink()).toBe(true);
    expect(readdirSync(d).sort()).toEqual(['fifo.pmu', 'link.pmu', 'null.pmu', 'real.pmu']);
  });

  it('--record refuses an existing file unless --force, leaving it untouched; with --force keeps its mode 0600', () => {
    const d = fresh();
    const path = join(d, 'rec.pmu');
    writeFileSync(path, 'the old file\n');
    chmodSync(path, 0o600);
    const refused = `${path} exists; give --force to replace it`;
    expect(whyNotWritable(path)).toBe(refused);
    expect(Recorder.open(path, defaultConfig)).toBe(`cannot record to ${path}: ${refused}`);
    expect(readFileSync(path, 'utf8')).toBe('the old file\n');
    expect(whyNotWritable(path, { overwrite: true })).toBe(null);
    const rec = Recorder.open(path, defaultConfig, { overwrite: true });
    if (typeof rec === 'string') throw new Error(rec);
    rec.close(new Timeline(defaultConfig).world);
    expect(readFileSync(path, 'utf8')).toMatch(/^pmuplay 1 seed=1 [^\n]*\n$/);
    expect(mode(path)).toBe(0o600);
  });

  it('--record refuses a FIFO and a device at once, even with --force', { timeout: 30_000 }, () => {
    const d = fresh();
    const fifo = fifoWithRescue(join(d, 'fifo.pmu'), 'read');
    expect(whyNotWritable(fifo, { overwrite: true })).toBe(`${fifo} is a FIFO (named pipe), not a regular file; only regular files are written`);
    expect(Recorder.open(fifo, defaultConfig, { overwrite: true })).toBe(`cannot record to ${fifo}: ${fifo} is a FIFO (named pipe), not a regular file; only regular files are written`);
    expect(Recorder.open('/dev/null', defaultConfig, { overwrite: true })).toBe('cannot record to /dev/null: /dev/null is a character device, not a regular file; only regular files are written');
  });
});

describe('the live recording', () => {
  it('knows its own file, through a symbolic link too', () => {
    const path = join(dir, 'live-own.pmu');
    const rec = Recorder.open(path, defaultConfig);
    if (typeof rec === 'string') throw new Error(rec);
    symlinkSync(path, join(dir, 'live-own-link.pmu'));
    expect(rec.writes(path)).toBe(true);
    expect(rec.writes(join(dir, 'live-own-link.pmu'))).toBe(true);
    expect(rec.writes(join(dir, 'other.pmu'))).toBe(false);
    rec.close(new Timeline(defaultConfig).world);
  });
});

describe('bad recordings', () => {
  const good = (() => {
    const t = new Timeline(defaultConfig);
    for (const line of ['spawn a on 0', 'open 100 cycles', 'mmap 100 3', 'tick 2']) {
      const r = parseCommand(line);
      if (!r.ok || !r.command) throw new Error(line);
      t.apply(r.command);
    }
    return t;
  })();
  const file = () => {
    const path = join(dir, 'good.pmu');
    saveBranch(path, defaultConfig, good.history(), { overwrite: true });
    return readFileSync(path, 'utf8');
  };

  it.each([
    ['a truncated line', (t: string) => t.replace('mmap 100 3', 'mmap 100'), 2, /r\.pmu:4:9: mmap: expected an fd/],
    ['an unknown header version', (t: string) => t.replace('pmuplay 1 ', 'pmuplay 7 '), 2, /r\.pmu:1:9: header: unknown format version '7'/],
    ['a command that no longer parses', (t: string) => t.replace('tick 2', 'warp 2'), 2, /r\.pmu:5:1: unknown command 'warp'/],
    ['a checkpoint that does not match', (t: string) => t.replace(/cpu0=[0-9a-f]{8}/, 'cpu0=00000000').replace(/^checkpoint [0-9a-f]{16}/m, 'checkpoint 0000000000000000'), 1, /FAILED r\.pmu:6: state hash [0-9a-f]{16}, the file says 0000000000000000; differs in CPU 0 \(mode/],
  ])('%s: one clear message with the line, exit %i', (_what, corrupt, code, message) => {
    const r = verify(corrupt(file()));
    expect(r.code).toBe(code);
    expect(r.out.some((l) => message.test(l))).toBe(true);
  });

  it('replays a good one with every checkpoint holding', () => {
    expect(verify(file()).code).toBe(0);
  });

  it('parses a recording whose last line was cut by a kill', () => {
    const text = file();
    const cut = text.slice(0, text.lastIndexOf('checkpoint'));
    const parsed = parseScript(cut);
    expect(parsed.ok).toBe(true);
  });
});
