import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The real pmuplay, built fresh by vitest's global setup (tools/test-build.mjs), in a real
// terminal: tmux.
const socket = `pmuplay-e2e-${process.pid}`;
const build = 'dist';
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'e2e');

/** Wait for the screen to show an effect; the bound only ends a test that already failed. */
async function waitFor(what: (s: string) => boolean, ms = 30_000): Promise<string> {
  const until = Date.now() + ms;
  let last = '';
  while (Date.now() < until) {
    last = screen();
    if (what(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out; the screen was:\n${last}`);
}

const commandLine = (s: string) => s.split('\n').find((l) => /^:( |$)/.test(l))?.trimEnd();

/** Type a line, see it echoed, press Enter, and see the command line empty again. */
async function type(line: string): Promise<void> {
  tmux('send-keys', '-t', 'e2e', '-l', line);
  await waitFor((s) => commandLine(s) === `: ${line}`);
  tmux('send-keys', '-t', 'e2e', 'Enter');
  await waitFor((s) => commandLine(s) === ':');
}

describe('pmuplay in a terminal', () => {
  afterAll(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  });

  it('types spawn, open, mmap, tick and shows the access granted and the finding', async () => {
    expect(spawnSync('tmux', ['-V']).status, 'tmux is needed (apt-get install tmux; .ci/run does)').toBe(0);
    // CI=true as in .ci/run: the playground must still draw (Ink would draw nothing live).
    tmux('new-session', '-d', '-s', 'e2e', '-x', '100', '-y', '30', `CI=true NO_COLOR=1 node ${build}/cli.js; echo EXITED $?; sleep 60`);
    await waitFor((s) => s.includes('pmuplay  design v4'));
    tmux('send-keys', '-t', 'e2e', ':');
    await waitFor((s) => commandLine(s) === ':');
    await type('spawn victim on 3');
    await type('open 100 instructions user');
    await type('mmap 100 3');
    await type('tick');
    const s = await waitFor((x) => x.includes('tick 1 '));
    expect(s).toMatch(/CPU3 EL0 +104 victim A64 +mm4/);
    expect(s).toMatch(/USERENR \+CR\|ER for mm1/);
    expect(s).toMatch(/! access\/other-mm: task 10[24]/);
    expect(s).toMatch(/findings [1-9]/);
    tmux('send-keys', '-t', 'e2e', 'Escape');
    tmux('send-keys', '-t', 'e2e', 'q');
    const after = await waitFor((x) => x.includes('EXITED'));
    expect(after).toContain('EXITED 0');
    expect(after).not.toContain('pmuplay  design'); // the alternate screen is gone
  }, 120_000);

  it('kill -INT puts the terminal back and closes the recording with its checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmuplay-e2e-'));
    const file = join(dir, 'signal.pmu');
    // The server must outlive the last session, or a new one races its exit ("server exited
    // unexpectedly"); afterAll kills it.
    tmux('set-option', '-g', 'exit-empty', 'off');
    tmux('kill-session', '-t', 'e2e');
    const pidFile = join(dir, 'pid');
    // The inner shell writes its pid, then becomes pmuplay: the pid is pmuplay's.
    tmux('new-session', '-d', '-s', 'e2e', '-x', '100', '-y', '30', `NO_COLOR=1 sh -c 'echo $$ > ${pidFile}; exec node ${build}/cli.js --record ${file}'; echo EXITED $?; sleep 60`);
    await waitFor((s) => s.includes('pmuplay  design v4'));
    tmux('send-keys', '-t', 'e2e', '.');
    await waitFor((s) => s.includes('tick 1 '));
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGINT');
    const after = await waitFor((x) => x.includes('EXITED'));
    // Nothing of the last frame is left on the main screen: only where the recording went
    // (wrapped at the pane's width), and what the shell printed.
    const left = after.split('\n').filter((l) => l.trim() !== '');
    expect(left.at(-1)).toBe('EXITED 130');
    expect(left.slice(0, -1).join('')).toBe(`pmuplay: recorded 7 steps to ${file} (play it: pmuplay replay ${file})`);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/\ntick\ncheckpoint [0-9a-f]{16} /);
    const replayed = spawnSync(process.execPath, [`${build}/cli.js`, 'run', '--quiet', file], { encoding: 'utf8' });
    expect(replayed.status, replayed.stdout + replayed.stderr).toBe(0);
  }, 120_000);
});
