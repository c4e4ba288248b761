import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { cpuMachine, cpuModeOf } from './cpu-machine.js';
import { mmMachine } from './mm-machine.js';
import { taskMachine, taskStateOf } from './task-machine.js';

describe('taskMachine', () => {
  it('walks a syscall that waits for IPIs and comes back to EL0', () => {
    const a = createActor(taskMachine, { input: { arch: 'aarch64' } }).start();
    const seen: string[] = [];
    for (const type of ['task.run', 'task.syscall.enter', 'task.block.ipi', 'task.unblock', 'task.syscall.exit'] as const) {
      a.send({ type });
      seen.push(taskStateOf(a.getSnapshot().value));
    }
    expect(seen).toEqual(['running', 'syscall', 'blocked.ipi', 'syscall', 'running']);
  });

  it('wakes a lock waiter onto a run queue, and exec changes the architecture', () => {
    const a = createActor(taskMachine, { input: { arch: 'aarch64' } }).start();
    a.send({ type: 'task.run' });
    a.send({ type: 'task.syscall.enter' });
    a.send({ type: 'task.block.lock' });
    expect(taskStateOf(a.getSnapshot().value)).toBe('blocked.lock');
    a.send({ type: 'task.unblock' });
    expect(taskStateOf(a.getSnapshot().value)).toBe('runnable');
    a.send({ type: 'task.run' });
    a.send({ type: 'task.syscall.enter' });
    a.send({ type: 'task.exec', arch: 'aarch32' });
    expect(a.getSnapshot().context.arch).toBe('aarch32');
  });

  it('ignores events that make no sense in a state, and exited is final', () => {
    const a = createActor(taskMachine, { input: { arch: 'aarch64' } }).start();
    const before = a.getSnapshot();
    a.send({ type: 'task.syscall.exit' });
    expect(a.getSnapshot()).toBe(before);
    a.send({ type: 'task.exit' });
    expect(a.getSnapshot().status).toBe('done');
  });
});

describe('mmMachine', () => {
  it('hands mmap_lock to the first waiter', () => {
    const a = createActor(mmMachine).start();
    a.send({ type: 'mm.lock', pid: 100 });
    a.send({ type: 'mm.lock.wait', pid: 101 });
    a.send({ type: 'mm.lock.wait', pid: 102 });
    const refused = a.getSnapshot();
    a.send({ type: 'mm.lock', pid: 103 });
    expect(a.getSnapshot()).toBe(refused);
    a.send({ type: 'mm.unlock' });
    expect(a.getSnapshot().context).toMatchObject({ lockHolder: 101, lockWaiters: [102] });
    a.send({ type: 'mm.release' });
    expect(a.getSnapshot().value).toBe('dead');
  });
});

describe('cpuMachine', () => {
  it('returns from an interrupt to what it interrupted', () => {
    const a = createActor(cpuMachine).start();
    a.send({ type: 'cpu.run' });
    a.send({ type: 'cpu.syscall' });
    a.send({ type: 'cpu.ipi' });
    expect(cpuModeOf(a.getSnapshot().value)).toBe('ipi');
    a.send({ type: 'cpu.eret' });
    expect(cpuModeOf(a.getSnapshot().value)).toBe('syscall');
    a.send({ type: 'cpu.sysret' });
    a.send({ type: 'cpu.irq' });
    a.send({ type: 'cpu.eret' });
    expect(cpuModeOf(a.getSnapshot().value)).toBe('el0');
  });

  it('halts for good after an oops', () => {
    const a = createActor(cpuMachine).start();
    a.send({ type: 'cpu.ipi' });
    a.send({ type: 'cpu.oops' });
    a.send({ type: 'cpu.eret' });
    expect(cpuModeOf(a.getSnapshot().value)).toBe('halted');
  });
});
