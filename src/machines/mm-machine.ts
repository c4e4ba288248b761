/**
 * The lifecycle of one address space (`struct mm_struct`): live while some task uses it,
 * dead after the last user leaves (`mmput()` -> `exit_mmap()`). While live it holds who holds
 * `mmap_lock` for write, with the tasks queued behind it (`down_write()` / `up_write()`).
 * The per-mm fields a kernel design keeps are the design's own state (`mm.design`).
 */
import { assign, setup } from 'xstate';

export type MmEvent =
  | { type: 'mm.lock'; pid: number }
  | { type: 'mm.lock.wait'; pid: number }
  | { type: 'mm.unlock' }
  | { type: 'mm.release' };

export interface MmContext {
  lockHolder: number | null;
  lockWaiters: number[];
}

export const mmMachine = setup({
  types: { context: {} as MmContext, events: {} as MmEvent },
  guards: {
    lockFree: ({ context }) => context.lockHolder === null,
  },
  actions: {
    take: assign({ lockHolder: ({ event }) => (event.type === 'mm.lock' ? event.pid : null) }),
    queue: assign({
      lockWaiters: ({ context, event }) =>
        event.type === 'mm.lock.wait' ? [...context.lockWaiters, event.pid] : context.lockWaiters,
    }),
    // up_write() hands the lock to the first writer queued behind it.
    handOver: assign(({ context }) => ({
      lockHolder: context.lockWaiters[0] ?? null,
      lockWaiters: context.lockWaiters.slice(1),
    })),
  },
}).createMachine({
  id: 'mm',
  context: { lockHolder: null, lockWaiters: [] },
  initial: 'live',
  states: {
    live: {
      on: {
        'mm.lock': { guard: 'lockFree', actions: 'take' },
        'mm.lock.wait': { actions: 'queue' },
        'mm.unlock': { actions: 'handOver' },
        'mm.release': 'dead',
      },
    },
    dead: { type: 'final' },
  },
});
