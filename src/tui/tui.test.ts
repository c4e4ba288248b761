import { describe, expect, it } from 'vitest';
import { play } from '../engine/session.js';
import { complete } from './completion.js';
import { allLog, keyAction, logScrollMax, moveLog } from './keys.js';
import { layout } from './layout.js';
import { accept, browse, emptyLine, eraseBack, insert, moveCursor } from './line-editor.js';

describe('the key table', () => {
  it.each([
    ['normal', ':', {}, { type: 'focus' }],
    ['normal', '/', {}, { type: 'focus' }],
    ['normal', '?', {}, { type: 'help' }],
    ['normal', ' ', {}, { type: 'toggle-run' }],
    ['normal', '.', {}, { type: 'step' }],
    ['normal', ',', {}, { type: 'back' }],
    ['normal', '+', {}, { type: 'faster' }],
    ['normal', '-', {}, { type: 'slower' }],
    ['normal', 'q', {}, { type: 'quit' }],
    ['normal', 'x', {}, { type: 'none' }],
    ['normal', 'c', { ctrl: true }, { type: 'quit' }],
    ['normal', 'f', {}, { type: 'log', move: 'filter' }],
    ['normal', '', { pageUp: true }, { type: 'log', move: 'up' }],
    ['normal', '', { pageDown: true }, { type: 'log', move: 'down' }],
    ['normal', '', { home: true }, { type: 'log', move: 'oldest' }],
    ['normal', '', { end: true }, { type: 'log', move: 'newest' }],
    ['normal', 'e', {}, { type: 'findings' }],
    ['normal', 'c', {}, { type: 'log', move: 'cpu' }],
    ['normal', 't', {}, { type: 'log', move: 'task' }],
    ['page', 'q', {}, { type: 'page', move: 'close' }],
    ['page', 'g', {}, { type: 'page', move: 'go' }],
    ['page', '', { upArrow: true }, { type: 'page', move: 'up' }],
    ['page', '', { downArrow: true }, { type: 'page', move: 'down' }],
    ['page', '', { return: true }, { type: 'page', move: 'open' }],
    ['page', '', { pageDown: true }, { type: 'page', move: 'page-down' }],
    ['page', '', { pageUp: true }, { type: 'page', move: 'page-up' }],
    ['input', 'q', {}, { type: 'insert', text: 'q' }],
    ['input', ' ', {}, { type: 'insert', text: ' ' }],
    ['input', '', { return: true }, { type: 'submit' }],
    ['input', '', { escape: true }, { type: 'leave' }],
    ['input', '', { upArrow: true }, { type: 'history', direction: -1 }],
    ['input', '', { downArrow: true }, { type: 'history', direction: 1 }],
    ['input', '', { tab: true }, { type: 'complete' }],
    ['input', '', { delete: true }, { type: 'erase', direction: 'back' }],
    ['input', 'u', { ctrl: true }, { type: 'kill-line' }],
    ['input', 'c', { ctrl: true }, { type: 'quit' }],
  ] as const)('%s mode: %j %j -> %j', (mode, input, key, action) => {
    expect(keyAction(mode, input, key)).toEqual(action);
  });
});

describe('the log view', () => {
  it('scrolls a page at a time within what the view keeps, and the filter starts at the newest', () => {
    let v = allLog;
    v = moveLog(v, 'up');
    expect(v).toEqual({ ...allLog, scroll: 5 });
    v = moveLog(moveLog(v, 'down'), 'down');
    expect(v.scroll).toBe(0);
    expect(moveLog(v, 'oldest').scroll).toBe(logScrollMax);
    expect(moveLog(moveLog(v, 'oldest'), 'newest').scroll).toBe(0);
    expect(moveLog({ ...allLog, scroll: 40 }, 'filter')).toEqual({ ...allLog, findings: true });
    for (let i = 0; i < 100; i++) v = moveLog(v, 'up');
    expect(v.scroll).toBe(logScrollMax);
  });

  it('goes no further up than the screen can show, so PgDn after Home moves at once', () => {
    const top = moveLog(allLog, 'oldest', undefined, 22);
    expect(top.scroll).toBe(22);
    expect(moveLog(top, 'down', undefined, 22).scroll).toBe(17);
    // A view scrolled further than a smaller screen allows comes down from what it shows.
    expect(moveLog({ ...allLog, scroll: 200 }, 'down', undefined, 22).scroll).toBe(17);
    expect(moveLog(allLog, 'up', undefined, 3).scroll).toBe(3);
  });

  it('c and t step through the CPUs and the tasks, then back to all', () => {
    const world = { cpus: 2, pids: [100, 101] };
    const seen: (number | null)[][] = [];
    let v = { ...allLog, scroll: 10 };
    for (let i = 0; i < 4; i++) {
      v = moveLog(moveLog(v, 'cpu', world), 'task', world);
      seen.push([v.cpu, v.pid, v.scroll]);
    }
    expect(seen).toEqual([[0, 100, 0], [1, 101, 0], [null, null, 0], [0, 100, 0]]);
  });
});

describe('the line editor', () => {
  it('edits at the cursor and keeps a history with the draft', () => {
    let s = insert(emptyLine, 'tick');
    s = moveCursor(s, 'home');
    s = insert(s, 'x');
    expect(s.text).toBe('xtick');
    s = eraseBack(moveCursor(s, 'right'));
    expect([s.text, s.cursor]).toEqual(['xick', 1]);
    s = accept(insert(accept(insert(emptyLine, 'spawn a')), 'tick 3'));
    expect(s.history).toEqual(['spawn a', 'tick 3']);
    s = insert(s, 'dra');
    s = browse(s, -1);
    expect(s.text).toBe('tick 3');
    s = browse(browse(s, -1), -1);
    expect(s.text).toBe('spawn a');
    s = browse(browse(s, 1), 1);
    expect(s.text).toBe('dra');
  });
});

describe('completion', () => {
  const { world } = play('spawn a on 0\nspawn b on 1\nopen 100 cycles\nopen 100 instructions');
  it.each([
    ['mm', 'mmap '],
    ['mmap 10', 'mmap 10'],
    ['mmap 100 ', 'mmap 100 '],
    ['open 100 cy', 'open 100 cycles '],
    ['migrate 101 3', 'migrate 101 3 '],
    ['fault mm', 'fault mmap-lock-skip '],
    ['policy h', 'policy hardened '],
  ])('%j -> %j', (text, want) => {
    expect(complete(world, text).text).toBe(want);
  });

  it('lists the choices when the word is ambiguous', () => {
    expect(complete(world, 'mmap 10').options).toEqual(['100', '101']);
    expect(complete(world, 'mmap 100 ').options).toEqual(['3', '4']);
    expect(complete(world, 'e').options).toEqual(['exec32', 'exec64', 'exit', 'explain', 'expect']);
  });

  it('follows the per-CPU open: a CPU, an event, its flags, then by and a pid', () => {
    expect(complete(world, 'open cpu ').options).toEqual(['0', '1', '2', '3']);
    expect(complete(world, 'open cpu 2 ').options).toEqual(['cycles', 'instructions']);
    expect(complete(world, 'open cpu 2 cycles ').options).toEqual(['user', '64bit', 'cloexec', 'by']);
    expect(complete(world, 'open cpu 2 cycles b').text).toBe('open cpu 2 cycles by ');
    expect(complete(world, 'open cpu 2 cycles by ').options).toEqual(['100', '101']);
    expect(complete(world, 'fork 100 on ').options).toEqual(['0', '1', '2', '3']);
  });

  it('knows every command word, help, save and quit among them, and tick, run and close cpu', () => {
    expect(complete(world, 'h').text).toBe('help ');
    expect(complete(world, 'sa').options).toEqual(['say', 'save']);
    expect(complete(world, 'q').text).toBe('quit ');
    expect(complete(world, 'ti').text).toBe('tick ');
    expect(complete(world, 'ru').text).toBe('run ');
    expect(complete(world, 'close ').options).toEqual(['100', '101', 'cpu']);
    expect(complete(world, 'help ex').options).toEqual(['exec32', 'exec64', 'exit', 'explain', 'expect']);
    expect(complete(world, 'mrs 100 pmev').options).toEqual(['pmevcntr0', 'pmevcntr1', 'pmevcntr2', 'pmevcntr3', 'pmevcntr4', 'pmevcntr5']);
  });

  it('offers finding codes only after expect finding and expect no-finding', () => {
    expect(complete(world, 'expect ').options).toEqual(['finding', 'no-finding', 'read', 'reg']);
    expect(complete(world, 'expect finding access/o').text).toBe('expect finding access/other-mm ');
    expect(complete(world, 'expect no-finding ').options).toContain('leak/pmselr');
    expect(complete(world, 'expect read ').options).toEqual(['100', '101']);
    expect(complete(world, 'expect read 100 ').options).toEqual(['3', '4']);
    expect(complete(world, 'expect read 100 3 ').options).toEqual(['sigill', 'sigsegv', 'fallback', 'value']);
    expect(complete(world, 'expect reg ').options).toEqual(['0', '1', '2', '3']);
    expect(complete(world, 'expect reg 1 ').options).toEqual(['pmuserenr', 'pmselr']);
    expect(complete(world, 'expect finding access/other-mm ').options).toEqual([]);
  });

  it('completes close cpu with the system-wide tool\'s fds', () => {
    const { world: w } = play('open cpu 1 cycles\nopen cpu 2 cycles');
    expect(complete(w, 'close cpu ').options).toEqual(['3', '4']);
  });
});

describe('layout', () => {
  it('fits 4 CPUs at 80x24 and 8 at 160x50, and asks for room below 80x24', () => {
    expect(layout(80, 24, 4)).toMatchObject({ fits: true, cols: 2, shownCpus: 4 });
    expect(layout(160, 50, 8)).toMatchObject({ fits: true, cols: 4, shownCpus: 8 });
    expect(layout(79, 24, 4)).toEqual({ fits: false });
    expect(layout(80, 23, 4)).toEqual({ fits: false });
  });

  it('always leaves rows for tasks and the log', () => {
    for (const [w, h, cpus] of [[80, 24, 64], [120, 40, 8], [200, 60, 16]] as const) {
      const l = layout(w, h, cpus);
      if (!l.fits) throw new Error('should fit');
      expect(l.taskRows).toBeGreaterThanOrEqual(3);
      expect(l.logRows).toBeGreaterThanOrEqual(4);
      expect(7 + l.gridRows * 4 + l.taskRows + l.logRows).toBeLessThanOrEqual(h);
    }
  });
});
