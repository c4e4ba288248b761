/**
 * The run-time knobs a kernel design may have, as data: `kernel.perf_user_access`
 * (`/proc/sys/kernel/perf_user_access`, arm64 since 5.17) and x86's sysfs `rdpmc`
 * (`/sys/bus/event_source/devices/cpu/rdpmc`). Each is typed as its own command
 * (`sysctl perf_user_access 1`, `rdpmc 2`), set at boot from the file header or a flag, and
 * kept in `world.knobs`; a design lists the knobs it has and is told when one changes.
 */
import type { Config } from './world.js';

export const knobNames = ['perf_user_access', 'rdpmc'] as const;
export type KnobName = (typeof knobNames)[number];

export interface KnobSpec {
  name: KnobName;
  /** What a person calls it, and what it is. */
  title: string;
  what: string;
  /** The values it takes: writing any other is accepted as a command and answered -EINVAL, as the kernel does, and the knob keeps its value. */
  values: readonly number[];
  /** Its boot value in the configuration (header key, command-line flag). */
  boot: (config: Config) => number;
  /** The command that sets it, as typed. */
  command: (value: number) => string;
}

export const knobs: Record<KnobName, KnobSpec> = {
  perf_user_access: {
    name: 'perf_user_access',
    title: 'kernel.perf_user_access',
    what: 'kernel.perf_user_access sysctl',
    values: [0, 1],
    boot: (config) => config.perfUserAccess,
    command: (value) => `sysctl perf_user_access ${value}`,
  },
  rdpmc: {
    name: 'rdpmc',
    title: 'rdpmc',
    what: 'rdpmc mode',
    values: [0, 1, 2],
    boot: (config) => config.rdpmc,
    command: (value) => `rdpmc ${value}`,
  },
};
