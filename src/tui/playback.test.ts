import { describe, expect, it } from 'vitest';
import { play } from '../engine/session.js';
import type { KeyAction } from './keys.js';
import { type Controls, pageLines, paces, playback, startControls } from './playback.js';

// Three findings at step 7: the mapping's IPI grants CPU 2's and CPU 3's tasks access.
const { world } = play('spawn app on 0\nthread 100 on 1\nspawn other on 2\nspawn legacy aarch32 on 3\nopen 100 cycles user\nswitch 0 100\nmmap 100 3\ntick 3');
const empty = play('spawn a').world;

/** Keys in a row, from `c`: the controls at the end and every effect on the way. */
function keys(c: Controls, actions: KeyAction[], atEnd = false) {
  const effects = [];
  for (const a of actions) {
    const [next, e] = playback(c, a, world, atEnd, 'playground');
    c = next;
    effects.push(e.kind === 'go' ? `go ${e.step}` : e.kind);
  }
  return { c, effects };
}

describe('the playback controls', () => {
  it('space runs and pauses; a step, a step back and n pause and ask the driver', () => {
    const c = startControls(false, 2);
    expect(keys(c, [{ type: 'toggle-run' }])).toMatchObject({ c: { running: true }, effects: ['clock'] });
    for (const type of ['step', 'back', 'next-finding'] as const) {
      const seen = keys({ ...c, running: true }, [{ type }]);
      expect(seen.c.running).toBe(false);
      expect(seen.effects).toEqual([type === 'next-finding' ? 'seek' : type]);
    }
    // At the end of a file there is nothing to run: a note, still paused.
    expect(keys(c, [{ type: 'toggle-run' }], true)).toMatchObject({ c: { running: false }, effects: ['note'] });
  });

  it('+ and - move the pace within its range and restart its clock', () => {
    const fast = keys(startControls(true, paces.length - 2), Array(5).fill({ type: 'faster' }));
    expect(fast.c.pace).toBe(paces.length - 1);
    expect(fast.effects).toEqual(Array(5).fill('clock'));
    expect(keys(startControls(true, 1), Array(5).fill({ type: 'slower' })).c.pace).toBe(0);
  });

  it('e lists the findings with the latest selected; up, down, enter explains, g goes to its step', () => {
    const total = world.findings.total;
    expect(total).toBeGreaterThan(1);
    let { c } = keys(startControls(false, 2), [{ type: 'findings' }]);
    expect(c.page).toEqual({ kind: 'findings', selected: total });
    const view = pageLines(c.page!, world);
    expect(view.lines).toHaveLength(total + 1);
    expect(view.lines![view.selected!]).toMatch(new RegExp(`^#${total} {2}step \\d+`));
    ({ c } = keys(c, [...Array(total + 3).fill({ type: 'page', move: 'up' }), { type: 'page', move: 'down' }]));
    expect(c.page).toEqual({ kind: 'findings', selected: 2 });
    ({ c } = keys(c, [{ type: 'page', move: 'up' }, { type: 'page', move: 'open' }]));
    expect(c.page).toMatchObject({ kind: 'answer', step: 7 });
    expect(pageLines(c.page!, world).lines!.at(-1)).toBe('g: go back to step 7, where it happened (what came after is dropped at your next step; save FILE first to keep it)');
    const gone = keys(c, [{ type: 'page', move: 'go' }]);
    expect(gone).toMatchObject({ c: { page: null }, effects: ['go 7'] });
    // g straight from the list goes there too; any other key closes.
    expect(keys(startControls(false, 2), [{ type: 'findings' }, { type: 'page', move: 'up' }, { type: 'page', move: 'go' }]).effects.at(-1)).toMatch(/^go \d+$/);
    expect(keys(startControls(false, 2), [{ type: 'findings' }, { type: 'page', move: 'close' }]).c.page).toBe(null);
  });

  it('e with no finding yet says so and opens nothing', () => {
    const [c, e] = playback(startControls(false, 2), { type: 'findings' }, empty, false, 'playground');
    expect(c.page).toBe(null);
    expect(e).toEqual({ kind: 'note', text: 'no finding yet (e lists them once there are some)' });
  });

  it('a help or answer page scrolls with up and down and closes on any other key', () => {
    let { c } = keys(startControls(false, 2), [{ type: 'help' }]);
    ({ c } = keys(c, [{ type: 'page', move: 'down' }, { type: 'page', move: 'down' }, { type: 'page', move: 'up' }]));
    expect(c.page).toEqual({ kind: 'help', topic: null, top: 1 });
    expect(keys(c, [{ type: 'page', move: 'go' }]).c.page).toBe(null);
  });

  it('g stops the run, so the step it goes back to is not run past at once', () => {
    const running = { ...startControls(true, 7), page: { kind: 'answer' as const, lines: [], step: 7 } };
    expect(playback(running, { type: 'page', move: 'go' }, world, false, 'playground')).toEqual([{ ...running, page: null, running: false }, { kind: 'go', step: 7 }]);
  });

  it('a page that fits the screen closes on an arrow too, as its last row says', () => {
    const help = { ...startControls(false, 2), page: { kind: 'help' as const, topic: null } };
    const fits = () => ({ logUp: 0, pageTop: 0, pageRows: 20 });
    expect(playback(help, { type: 'page', move: 'down' }, world, false, 'playground', fits)[0].page).toBe(null);
  });

  it('leaves the command line\'s keys to the driver', () => {
    const a: KeyAction = { type: 'insert', text: 'x' };
    expect(playback(startControls(false, 2), a, world, false, 'playground')[1]).toEqual({ kind: 'other', action: a });
  });
});
