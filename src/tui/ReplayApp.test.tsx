import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { parseScript } from '../engine/script.js';
import { Player } from './player.js';
import { ReplayApp } from './ReplayApp.js';

/** Wait for an effect, never for a fixed time: the bound only ends a test that failed. */
async function until(ok: () => boolean): Promise<boolean> {
  for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  return ok();
}

function player(text: string): Player {
  const parsed = parseScript(text);
  if (!parsed.ok) throw new Error('parse');
  return new Player({}, parsed.script);
}

describe('presenting a demo', () => {
  it('plays on its own, shows the caption, stops at pause, and steps back with ,', async () => {
    const p = player('pmuplay 1 seed=1\nsay "hello room"\nspawn a on 0\npause\nspawn b on 1\n');
    const app = render(<ReplayApp player={p} name="t" color={false} demo size={{ width: 100, height: 30 }} />);
    await until(() => app.lastFrame() !== undefined);
    app.stdin.write('+++'); // faster, so the test does not wait for the room to read
    expect(await until(() => app.lastFrame()!.includes('paused'))).toBe(true);
    const f = app.lastFrame()!;
    expect(f).toContain('» hello room');
    expect(f).toContain('paused: space to go on');
    expect(p.timeline.world.tasks.size).toBe(1);
    app.stdin.write(',');
    expect(await until(() => p.timeline.world.tasks.size === 0)).toBe(true);
    expect(await until(() => app.lastFrame()!.includes('demo t: line 2/5'))).toBe(true);
    app.unmount();
  });
});

describe('replaying a recording', () => {
  it('takes a burst of keys as each key: ... steps three lines', async () => {
    const p = player('pmuplay 1 seed=1\nspawn a on 0\nspawn b on 1\nspawn c on 2\nspawn d on 3\n');
    const app = render(<ReplayApp player={p} name="r" color={false} size={{ width: 100, height: 30 }} />);
    await until(() => app.lastFrame() !== undefined);
    app.stdin.write('...');
    expect(await until(() => app.lastFrame()!.includes('replay r: line 4/5'))).toBe(true);
    expect(p.timeline.world.tasks.size).toBe(3);
    app.unmount();
  });

  it('plays to the next finding past thousands of lines, a slice at a time', async () => {
    const p = player(`pmuplay 1 seed=1 cpus=2\nspawn a on 0\nspawn victim on 1\n${'tick\n'.repeat(20000)}open 100 cycles user\nmmap 100 3\ntick 8\n`);
    const app = render(<ReplayApp player={p} name="r" color={false} size={{ width: 100, height: 30 }} />);
    await until(() => app.lastFrame() !== undefined);
    app.stdin.write('n');
    expect(await until(() => p.timeline.world.findings.total > 0 || app.lastFrame()!.includes('no finding'))).toBe(true);
    expect(p.timeline.world.findings.total).toBeGreaterThan(0);
    expect(p.atEnd).toBe(false);
    app.unmount();
  });
});
