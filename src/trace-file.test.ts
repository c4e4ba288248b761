import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pmuplay } from './test-main.js';
import { checkTrace } from './trace/check.js';

const dir = mkdtempSync(join(tmpdir(), 'pmuplay-trace-'));
const script = 'saves/examples/v4-other-mm.pmu';

describe('pmuplay run --trace FILE', () => {
  it('writes the run as a trace that keeps the format, says so last, and exits as the run does', async () => {
    const path = join(dir, 'other-mm.json');
    const plain = await pmuplay('run', script);
    const r = await pmuplay('run', '--trace', path, script);
    expect(r.code).toBe(plain.code);
    expect(r.out).toBe(`${plain.out}-- traced 5 steps to ${path} (open it in ui.perfetto.dev)\n`);
    const text = readFileSync(path, 'utf8');
    expect(checkTrace(text)).toEqual([]);
    expect(text).toContain('"name":"access/other-mm"');
  });

  it('--json: the write is an object too', async () => {
    const path = join(dir, 'json.json');
    const r = await pmuplay('run', '--json', '--quiet', '--trace', path, script);
    const last = JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(last).toEqual({ type: 'traced', file: script, message: `traced 5 steps to ${path} (open it in ui.perfetto.dev)` });
  });

  it('a path that cannot be written fails before the run starts: exit 2, nothing run, nothing made', async () => {
    const missing = join(dir, 'no-such-dir', 't.json');
    const r = await pmuplay('run', '--trace', missing, script);
    expect(r).toEqual({ code: 2, out: '', err: `pmuplay: cannot trace to ${missing}: the directory ${join(dir, 'no-such-dir')} does not exist\n` });
    const aDir = join(dir, 'a-dir');
    mkdirSync(aDir);
    const d = await pmuplay('run', '--trace', aDir, script);
    expect([d.code, d.out]).toEqual([2, '']);
    expect(d.err).toContain(`cannot trace to ${aDir}: `);
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
  });

  it('an existing file is refused (untouched) unless --force, which replaces it and keeps its mode', async () => {
    const path = join(dir, 'taken.json');
    writeFileSync(path, 'the old file\n');
    chmodSync(path, 0o600);
    const refused = await pmuplay('run', '--trace', path, script);
    expect(refused).toEqual({ code: 2, out: '', err: `pmuplay: cannot trace to ${path}: ${path} exists; give --force to replace it\n` });
    expect(readFileSync(path, 'utf8')).toBe('the old file\n');
    const forced = await pmuplay('run', '--trace', path, '--force', script);
    expect(forced.code).toBe(0);
    expect(checkTrace(readFileSync(path, 'utf8'))).toEqual([]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('is a usage error with several files, with --policy all, and where it does not apply', async () => {
    const path = join(dir, 'never.json');
    expect((await pmuplay('run', '--trace', path, script, script)).err).toBe('pmuplay: --trace traces one run: give run one FILE (2 given)\n');
    expect((await pmuplay('run', '--trace', path, '--policy', 'all', script)).err).toContain('--trace traces one run; --policy all runs every design');
    expect((await pmuplay('replay', '--trace', path, script)).err).toContain('--trace applies to run and demo NAME --headless, not to replay');
    expect((await pmuplay('--trace', path)).err).toContain('(in the playground, save --trace FILE writes the session so far)');
    expect((await pmuplay('run', '--trace', path, '--record', path, script)).err).toBe(`pmuplay: --record and --trace name the same file (${path}): give each its own\n`);
    expect(existsSync(path)).toBe(false);
  });

  it('a run stopped by a rejected command is traced up to it', async () => {
    const stops = join(dir, 'stops.pmu');
    writeFileSync(stops, 'spawn a on 0\nmmap 100 9\nspawn b on 1\n');
    const path = join(dir, 'stops.json');
    const r = await pmuplay('run', '--trace', path, stops);
    expect(r.code).toBe(2);
    const text = readFileSync(path, 'utf8');
    expect(checkTrace(text)).toEqual([]);
    expect(text).toContain('"name":"100 a"');
    expect(text).not.toContain('"name":"101 b"');
  });
});
