/**
 * What kernel-check compares: one observation per script line that has one, the same shape
 * whether the model (model.ts, from the engine's typed step results) or the kernel (the guest's
 * framed console lines, console.ts) made it. Counts and counter values are not compared as
 * numbers: QEMU's cycles are host time. A read's value is compared as right or wrong (the
 * model: against the count the hardware made; the kernel: between read(2) counts taken just
 * before and after it).
 */

export type ReadKind = 'value' | 'sigill' | 'fallback' | 'sigsegv';

export type Observation =
  | { what: 'open'; fd: number | null; errno: string | null }
  | { what: 'mmap'; ok: boolean; cap: boolean; index: number; width: number }
  | { what: 'read'; kind: ReadKind; right: boolean | null }
  | { what: 'mrs'; reg: string; trap: boolean }
  | { what: 'msr'; reg: string; trap: boolean }
  /** `expect reg CPU REG V`: the register's value (null: it could not be read at EL0). */
  | { what: 'reg'; reg: string; value: number | null }
  | { what: 'sysctl'; errno: string | null };

/** One observation as a person reads it: `fd 3`, `-EINVAL`, `value (right)`, `SIGILL`. */
export function describe(o: Observation): string {
  switch (o.what) {
    case 'open':
      return o.fd !== null ? `fd ${o.fd}` : `-${o.errno}`;
    case 'mmap':
      return o.ok ? `cap_user_rdpmc ${o.cap ? 1 : 0}, index ${o.index}, pmc_width ${o.width}` : 'mmap failed';
    case 'read':
      return o.kind === 'value' ? `value (${o.right === null ? 'unchecked' : o.right ? 'right' : 'wrong'})` : o.kind === 'sigill' ? 'SIGILL' : o.kind === 'sigsegv' ? 'SIGSEGV' : 'fallback read()';
    case 'mrs':
    case 'msr':
      return `${o.reg}: ${o.trap ? 'SIGILL' : 'allowed'}`;
    case 'reg':
      return o.value === null ? `${o.reg}: not readable at EL0` : `${o.reg} = ${o.value}`;
    case 'sysctl':
      return o.errno === null ? 'written' : `-${o.errno}`;
  }
}

/** Whether two observations agree: what the model claims about the kernel, field by field. */
export function agree(model: Observation, kernel: Observation): boolean {
  if (model.what !== kernel.what) return false;
  switch (model.what) {
    case 'open': {
      const k = kernel as typeof model;
      return (model.fd === null) === (k.fd === null) && model.errno === k.errno;
    }
    case 'read': {
      const k = kernel as typeof model;
      return model.kind === k.kind && (model.kind !== 'value' || model.right === k.right);
    }
    default:
      return JSON.stringify(model) === JSON.stringify(kernel);
  }
}
