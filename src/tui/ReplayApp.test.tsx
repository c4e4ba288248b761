import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { parseScript } from '../engine/script.js';
import { Player } from './player.js';
import { ReplayApp } from './ReplayApp.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('presenting a demo', () => {
  it('plays on its own, shows the caption, stops at pause, and steps back with ,', async () => {
    const parsed = parseScript('pmuplay 1 seed=1\nsay "hello room"\nspawn a on 0\npause\nspawn b on 1\n');
    if (!parsed.ok) throw new Error('parse');
    const player = new Player({}, parsed.script);
    const app = render(<ReplayApp player={player} name="t" color={false} demo size={{ width: 100, height: 30 }} />);
    for (let i = 0; i < 50 && app.lastFrame() === undefined; i++) await wait(20);
    app.stdin.write('+'); // faster, so the test does not wait for the room to read
    app.stdin.write('+');
    app.stdin.write('+');
    for (let i = 0; i < 200 && !app.lastFrame()!.includes('paused'); i++) await wait(50);
    const f = app.lastFrame()!;
    expect(f).toContain('» hello room');
    expect(f).toContain('paused: space to go on');
    expect(player.timeline.world.tasks.size).toBe(1);
    app.stdin.write(',');
    for (let i = 0; i < 100 && player.timeline.world.tasks.size !== 0; i++) await wait(20);
    expect(player.timeline.world.tasks.size).toBe(0);
    for (let i = 0; i < 100 && !app.lastFrame()!.includes('step 1/4'); i++) await wait(20);
    expect(app.lastFrame()).toContain('demo t: step 1/4');
    app.unmount();
  });
});
