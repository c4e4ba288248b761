/**
 * Every limit of the simulation in one place, each with why it is what it is.
 */

/** PMCR_EL0.N is 5 bits, but 31 selects the cycle counter: at most 31 event counters. */
export const countersMax = 31;
/** Default number of event counters (a Cortex-A72 has 6). */
export const countersDefault = 6;
/** A pane per CPU must still fit on a screen; the bench uses 8. */
export const cpusMax = 64;
export const cpusDefault = 4;
/** Cycles one CPU runs in one tick (1 ms at 1 GHz). Set per world in the header. */
export const cyclesPerTickDefault = 1_000_000n;
/** Ticks a task runs before the scheduler tick may switch to the next on the queue. */
export const sliceTicksDefault = 4;
/** The longest slice a world may set (header `slice=`). */
export const sliceTicksMax = 1000;
/**
 * How much work one command may ask for: about a second here. A `tick N` costs, per tick,
 * about 1 µs for each CPU of a busy world, and 6 µs more for each switch (every CPU switching
 * between tasks with mapped events when its slice runs out: 2.5 µs a CPU at the default slice
 * of 4 ticks, 7 µs at a slice of 1); a CPU whose counters wrap within a tick about 0.03 µs more for each
 * of the newest wraps it lists (at most `logLinesMax`: 60 µs); and each overflow log line the
 * tick keeps about 1.5 µs. A 32-bit counter wraps every 2^31 events at most, so a large
 * cycles-per-tick makes every tick list the newest `logLinesMax` wraps of its span. Measured
 * in the busiest worlds by `bench/bounded.ts`. `ticksPerCommand` turns that into the most
 * ticks one command may ask for in a world; more is a rejection that says so, and the
 * playground and the recorder split long runs into lines of at most that.
 */
export const commandWorkMicros = 1_000_000;
const cpuTickMicros = 1;
const switchMicros = 6;
const wrapListedMicros = 0.03;
const overflowLineMicros = 1.5;
/** The most ticks any world allows in one command (one CPU, few cycles a tick, long slices). */
export const ticksPerCommandMax = Math.floor(commandWorkMicros / (cpuTickMicros + switchMicros / sliceTicksMax));

/** The most ticks one `tick N` may ask for in a world of this configuration. */
export function ticksPerCommand(config: { cpus: number; counters: number; cyclesPerTick: bigint; sliceTicks: number }): number {
  // Wraps a CPU's counters may take in a tick: the event counters and the cycle counter, each
  // counting at most 2 events a cycle (IPC 2.0).
  const wraps = (Number(config.cyclesPerTick) * 2 * (config.counters + 1)) / 2 ** 31;
  const perCpu = cpuTickMicros + switchMicros / config.sliceTicks + Math.min(logLinesMax, Math.floor(wraps)) * wrapListedMicros;
  const lines = Math.floor(Math.min(logLinesMax, config.cpus * wraps));
  return Math.max(1, Math.floor(commandWorkMicros / (config.cpus * perCpu + lines * overflowLineMicros)));
}
/** What `sysctl` and `rdpmc` may write: an int, as /proc and sysfs take one; the design's handler refuses what it does not take. */
export const knobValueMax = 2 ** 31 - 1;
/** `back N` counts steps; a session may hold billions of them. */
export const backStepsMax = Number.MAX_SAFE_INTEGER;
/** Tasks alive at once; pids are never reused. */
export const tasksMax = 4096;
/** Events open at once across the machine. */
export const eventsMax = 8192;
/** Perf user pages one mm may map at once (the kernel's bound is vm.max_map_count, 65530; a
 * small one keeps worlds small, and a script never needs more). */
export const mmMappingsMax = 64;
/** Kernel log lines kept (a ring buffer: memory stays flat over a long run). */
export const logLinesMax = 2000;
/** Findings kept in full; the per-code counts keep counting past it. */
export const findingsKeptMax = 1000;
/** Cycles userspace spends between the steps of the read protocol (a few instructions). */
export const readStepCycles = 4n;
/** A read that keeps racing gives up and falls back to read() after this many tries. */
export const readTriesMax = 16;
/** Instruction rates are instructions per 4 cycles, drawn per task: IPC 0.25 .. 2.0. */
export const ipcQuartersMax = 8;
/** Longest task name and `say` text, so a line always fits a log. */
export const nameLengthMax = 32;
export const sayLengthMax = 200;
/** The first fd a process gets from perf_event_open (0, 1, 2 are stdio). */
export const firstFd = 3;
/** The first pid a spawned task gets, so scripts can name them. */
export const firstPid = 100;
/** Longest token an error message repeats: a longer one is cut, with '…', so a 1 MB token
 * is not echoed whole. */
export const echoLengthMax = 40;
/** Errors kept and shown per file; the rest are counted ("… and N more"), so a million bad
 * lines print 21 lines and keep 20 errors in memory. */
export const fileErrorsShownMax = 20;
/** `explore`: the longest trace a search may be asked for (choices after the setup). */
export const exploreDepthMax = 1000;
/** `explore`: the most distinct states a search may keep. Each costs its fingerprint (about
 * 60 bytes) and its parent link for the whole search, and a world copy (about 20 KB for a
 * scenario's small machine) while it is in the frontier: a million fits a 2 GB heap when the
 * frontier stays under ~50,000, which the search checks as it goes (`exploreFrontierMax`). */
export const exploreStatesMax = 10_000_000;
/** `explore --workers N`: at most this many worker threads. */
export const exploreWorkersMax = 64;
/** `explore`: the most worlds one breadth-first layer may hold at once; past it the search
 * stops with a message (the memory estimate), never the process. */
export const exploreFrontierMax = 200_000;
/** `explore`: the most switches, migrations or ticks a search may be bounded to. */
export const exploreChoicesMax = 100;
/** Commands one `program` line may hold. */
export const programLengthMax = 64;
/** `explore walks=N`: the most random walks one search may make. */
export const exploreWalksMax = 100_000_000;
