import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

// The real pmuplay, built fresh by vitest's global setup (tools/test-build.mjs), in a real
// terminal: tmux.
const socket = `pmuplay-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'e2e');

async function waitFor(what: (s: string) => boolean, ms = 5000): Promise<string> {
  const until = Date.now() + ms;
  let last = '';
  while (Date.now() < until) {
    last = screen();
    if (what(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out; the screen was:\n${last}`);
}

async function type(line: string): Promise<void> {
  tmux('send-keys', '-t', 'e2e', '-l', line);
  await new Promise((r) => setTimeout(r, 100));
  tmux('send-keys', '-t', 'e2e', 'Enter');
  await new Promise((r) => setTimeout(r, 150));
}

describe('pmuplay in a terminal', () => {
  afterAll(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  });

  it('types spawn, open, mmap, tick and shows the access granted and the finding', async () => {
    expect(spawnSync('tmux', ['-V']).status, 'tmux is needed (apt-get install tmux; .ci/run does)').toBe(0);
    expect(existsSync('dist/cli.js'), 'dist/cli.js is built by tools/test-build.mjs (vitest global setup)').toBe(true);
    // CI=true as in .ci/run: the playground must still draw (Ink would draw nothing live).
    tmux('new-session', '-d', '-s', 'e2e', '-x', '100', '-y', '30', `CI=true NO_COLOR=1 node dist/cli.js; echo EXITED $?; sleep 5`);
    await waitFor((s) => s.includes('pmuplay  design v4'));
    tmux('send-keys', '-t', 'e2e', ':');
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
  }, 20_000);
});
