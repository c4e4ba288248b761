/**
 * Diagnostics for the benchmark: how many events the engine sent to machines, how many of
 * those needed XState's transition logic (the rest were memoized), and how many PMU
 * interrupts it took. Kept outside the world state; the engine only counts, never reads them.
 */
export const engineStats = { machineEvents: 0, transitionsComputed: 0, pmuInterrupts: 0 };
