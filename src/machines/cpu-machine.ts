/**
 * The mode of one CPU: idle (the idle task in WFI), running a task at EL0, or in the kernel
 * at EL1 — in a syscall, in an interrupt handler (the PMU overflow IRQ, `armv8pmu_handle_irq`)
 * or in an IPI handler (`generic_smp_call_function_single_interrupt`) — or halted after an
 * oops. Interrupts return to whatever they interrupted (a history state), as `eret` does.
 */
import { setup } from 'xstate';

export type CpuEvent =
  | { type: 'cpu.run' }
  | { type: 'cpu.idle' }
  | { type: 'cpu.syscall' }
  | { type: 'cpu.sysret' }
  | { type: 'cpu.irq' }
  | { type: 'cpu.ipi' }
  | { type: 'cpu.eret' }
  | { type: 'cpu.oops' };

/** `user`: a task runs at EL0; `kernel`: the CPU is at EL1 for a syscall or an interrupt. */
export type CpuTag = 'user' | 'kernel' | 'halted';

export const cpuMachine = setup({
  types: { events: {} as CpuEvent, tags: {} as CpuTag },
}).createMachine({
  id: 'cpu',
  initial: 'up',
  states: {
    up: {
      initial: 'idle',
      states: {
        idle: { on: { 'cpu.run': 'el0' } },
        el0: { tags: ['user'], on: { 'cpu.idle': 'idle', 'cpu.syscall': 'syscall' } },
        syscall: { tags: ['kernel'], on: { 'cpu.sysret': 'el0', 'cpu.idle': 'idle', 'cpu.run': 'el0' } },
        interrupted: { type: 'history' },
      },
      on: { 'cpu.irq': 'irq', 'cpu.ipi': 'ipi', 'cpu.oops': 'halted' },
    },
    irq: { tags: ['kernel'], on: { 'cpu.eret': 'up.interrupted', 'cpu.oops': 'halted' } },
    ipi: { tags: ['kernel'], on: { 'cpu.eret': 'up.interrupted', 'cpu.oops': 'halted' } },
    halted: { tags: ['halted'], type: 'final' },
  },
});

export type CpuMode = 'idle' | 'el0' | 'syscall' | 'irq' | 'ipi' | 'halted';

export function cpuModeOf(value: unknown): CpuMode {
  if (typeof value === 'string') return value as CpuMode;
  return (value as { up: CpuMode }).up;
}
