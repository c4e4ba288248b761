import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { parseScript } from '../engine/script.js';
import { App } from './App.js';
import type { KeyInfo } from './keys.js';
import { Player } from './player.js';
import { Replay } from './replay.js';

function player(text: string): Player {
  const parsed = parseScript(text);
  if (!parsed.ok) throw new Error('parse');
  return new Player({}, parsed.script);
}

/** A replay on a fake clock that moves 1 ms a read, and `pass(ms)` pumping as the loop would. */
function replay(text: string, demo = false) {
  let now = 0;
  const r = new Replay(player(text), 't', demo, () => ++now);
  const press = (input: string, key: KeyInfo = {}) => r.input(input, key);
  const pass = (ms: number) => {
    for (let left = ms, turns = 0; left > 0 && turns < 100_000; turns++) {
      const next = r.pump();
      const step = next === Infinity ? left : Math.max(1, Math.min(left, next));
      now += step;
      left -= step;
    }
  };
  return { r, press, pass, world: () => r.player.timeline.world };
}

const leak = 'pmuplay 1 seed=1 cpus=3\nspawn a on 0\nspawn b on 1\nspawn c on 2\nopen 100 cycles user\ntick\nmmap 100 3\ntick 5\nsay "after"\ntick 5\n';

describe('presenting a demo', () => {
  it('plays on its own, holds the caption, stops at pause, and steps back with ,', () => {
    const { r, press, pass, world } = replay('pmuplay 1 seed=1\nsay "hello room"\nspawn a on 0\npause\nspawn b on 1\n', true);
    expect(r.controls.running).toBe(true);
    pass(20_000);
    expect(r.controls.running).toBe(false);
    const ui = r.screen();
    expect(ui.caption).toBe('hello room');
    expect(ui.message?.text).toBe('paused: space to go on');
    expect(world().tasks.size).toBe(1);
    // , goes back a line, as . plays one: the pause, then the spawn.
    press(',,');
    expect(world().tasks.size).toBe(0);
    expect(r.screen().message?.text).toBe('demo t: line 2/5');
    press(' ');
    pass(20_000);
    expect(world().tasks.size).toBe(1);
  });

  it('holds a caption for a room to read: the line after it waits', () => {
    const { pass, world } = replay(`pmuplay 1 seed=1\nsay "${'a long caption for the room to read, '.repeat(3)}"\nspawn a on 0\n`, true);
    // At the demo's pace (2 lines a second) the say plays at once, the spawn waits for the hold.
    pass(1500);
    expect(world().tasks.size).toBe(0);
    pass(10_000);
    expect(world().tasks.size).toBe(1);
  });
});

describe('replaying a recording', () => {
  it('takes a burst of keys as each key: ... steps three lines', () => {
    const { r, press, world } = replay('pmuplay 1 seed=1\nspawn a on 0\nspawn b on 1\nspawn c on 2\nspawn d on 3\n');
    press('...');
    // The message line names the line, and what it answered, as the playground's does.
    expect(r.screen().message?.text).toBe('replay t: line 4/5  | pid 102');
    expect(world().tasks.size).toBe(3);
  });

  it('plays to the next finding past thousands of lines, a slice at a time, and Esc stops looking', () => {
    const text = `pmuplay 1 seed=1 cpus=2\nspawn a on 0\nspawn victim on 1\n${'tick\n'.repeat(20000)}open 100 cycles user\nmmap 100 3\ntick 8\n`;
    const { r, press, pass, world } = replay(text);
    press('n');
    expect(r.screen().message?.text).toMatch(/^looking for the next finding: \d+ of 20005 lines…/);
    press('x'); // waits: the search goes on
    pass(100_000);
    expect(world().findings.total).toBeGreaterThan(0);
    expect(r.player.atEnd).toBe(false);
    const stopped = replay(text);
    stopped.press('n');
    stopped.press('', { escape: true });
    expect(stopped.r.screen().message?.text).toBe('stopped looking for the next finding');
    expect(stopped.world().findings.total).toBe(0);
  });

  it('e lists the findings, enter explains the selected one, g goes back to the line that found it', () => {
    const { r, press, world } = replay(leak);
    press('e');
    expect(r.screen().message?.text).toBe('no finding yet (e lists them once there are some)');
    for (let i = 0; i < 10; i++) press('.');
    const total = world().findings.total;
    expect(total).toBeGreaterThan(0);
    const at = world().findings.items[0]!.step;
    press('e');
    expect(r.screen().mode).toBe('page');
    expect(r.screen().page?.selected).toBe(total);
    for (let i = 0; i < total; i++) press('', { upArrow: true });
    expect(r.screen().page?.selected).toBe(1);
    press('', { return: true });
    expect(r.screen().page?.lines?.[0]).toMatch(/^finding 1: access\/other-mm/);
    press('g');
    expect(r.screen().mode).toBe('normal');
    // Just after the line that found it: the mmap; the ticks after it are undone.
    expect(world().step).toBe(at);
    expect(world().findings.items.every((f) => f.step === at)).toBe(true);
    expect(r.player.playedLine).toBe(7);
    expect(r.screen().message?.text).toBe(`back to line 7, where step ${at} was done (. plays on)`);
  });

  it('c and t filter the log by CPU and task, as in the playground; : says a replay is read-only', () => {
    const { r, press } = replay(leak);
    press('....');
    press('c');
    press('t');
    expect(r.screen().log).toMatchObject({ cpu: 0, pid: 100 });
    press(':');
    expect(r.screen().message?.text).toMatch(/^a replay is read-only/);
  });
});

describe('a replay on screen', () => {
  it('draws through the same app as the playground', async () => {
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 1000 && !ok(); i++) await new Promise((res) => setTimeout(res, 20));
      return ok();
    };
    const r = new Replay(player(leak), 'r', false, () => performance.now());
    const app = render(<App driver={r} color={false} size={{ width: 100, height: 30 }} />);
    await until(() => app.lastFrame() !== undefined);
    app.stdin.write('...');
    expect(await until(() => app.lastFrame()!.includes('replay r: line 4/10'))).toBe(true);
    app.unmount();
  });
});

describe('a counterexample from explore', () => {
  it('replays in the TUI to its finding: n stops at it, and the finding is the one the search reported', async () => {
    const { readFileSync } = await import('node:fs');
    const { prepareScenario } = await import('../engine/explore-scenario.js');
    const { Search } = await import('../engine/explore.js');
    const { resolveConfig } = await import('../engine/script.js');
    const { traceText } = await import('../explore-cli.js');
    const file = 'saves/explore/other-mm.pmu';
    const parsed = parseScript(readFileSync(file, 'utf8'));
    if (!parsed.ok) throw new Error('parse');
    const prep = prepareScenario(parsed.script, resolveConfig(parsed.script.header, {}));
    if (!prep.ok) throw new Error('prepare');
    const search = new Search(prep.prepared);
    while (!search.run(1000));
    const cx = search.found.get('access/other-mm')!;
    const { r, press, pass, world } = replay(traceText(file, prep.prepared, cx));
    expect(world().findings.total).toBe(0);
    press('n');
    pass(60_000);
    expect(world().findingCounts.get('access/other-mm')).toBe(1);
    const found = world().findings.items.find((f) => f.code === 'access/other-mm')!;
    expect(found.text).toBe(cx.finding.text);
    // It stopped at the finding, before the trace's last lines (its expect and checkpoint).
    expect(r.player.atEnd).toBe(false);
  });
});
