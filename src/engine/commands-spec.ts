/**
 * The command language's one table: every command a user types, as data — its words and
 * argument slots, a one-line summary, what it stands for in kernel terms, and an example. The
 * usage in parse errors (parse.ts), the command word list (`commandWords`), `help CMD`, the
 * `?` overlay and tab completion (src/tui/completion.ts) all derive from it, so they cannot
 * drift; the tests check that every command kind the parser makes has a row here, that every
 * example parses and formats back the same, that the lines this grammar describes parse, and
 * that the README's Commands table holds every usage.
 *
 * A row is one form of a command (`open PID …` and `open cpu CPU …` are two rows of `open`);
 * `help open` shows them all. Rows with `scope: 'playground'` (`save`, `quit`) are words of the
 * playground's command line only: the parser refuses them in scripts with a message saying so.
 */
import type { CommandKind } from './command.js';
import { faultNames, findingCodes } from './command.js';

/**
 * What a value slot holds, and so how it is completed: live pids, that pid's fds, the
 * system-wide tool's fds, CPU ids, the world's registers, design names, command words; the
 * rest (numbers, names, text, hashes) are the user's to type.
 */
export type ValueKind = 'pid' | 'fd' | 'cpu-fd' | 'cpu' | 'reg' | 'design' | 'topic' | 'number' | 'name' | 'text' | 'hash' | 'part' | 'bound' | 'program-pid' | 'command';

export type Arg =
  /** A fixed word: `cpu` in `open cpu`, `on` in `on CPU`. */
  | { t: 'word'; word: string }
  /** A value the user supplies, shown in usage as `name` (PID, FD, N). */
  | { t: 'value'; value: ValueKind; name: string }
  /** One of some alternatives, each a sequence (`sigill|…|value N`); `name` shown instead when the list is long (CODE). */
  | { t: 'alt'; options: Arg[][]; name?: string }
  /** `[…]`: may be left out. */
  | { t: 'optional'; args: Arg[] }
  /** `[a] [b] [by PID]`: any of these, in any order, each at most once. */
  | { t: 'flags'; options: Arg[][] }
  /** `[PART=HASH …]`: any number of these. */
  | { t: 'repeat'; args: Arg[] };

export interface CommandSpec {
  /** The word it starts with; `help WORD` shows every row of that word. */
  word: string;
  args: Arg[];
  /** The command kinds (command.ts) this form parses to; empty for playground-only words. */
  kinds: CommandKind[];
  /** One line: what the user gets. */
  summary: string;
  /** What it stands for in the kernel (functions, registers, KERNEL.md sections), and where the model simplifies. */
  kernel: string;
  /** A line that parses (the tests check it), in canonical spelling. */
  example: string;
  /** `language`: scripts, recordings and the playground; `playground`: its command line only. */
  scope: 'language' | 'playground';
}

const word = (w: string): Arg => ({ t: 'word', word: w });
const value = (v: ValueKind, name: string): Arg => ({ t: 'value', value: v, name });
const oneOf = (options: readonly string[], name?: string): Arg => ({ t: 'alt', options: options.map((o) => [word(o)]), ...(name ? { name } : {}) });
const optional = (...args: Arg[]): Arg => ({ t: 'optional', args });
const flags = (...options: Arg[][]): Arg => ({ t: 'flags', options });

const pid = value('pid', 'PID');
const fd = value('fd', 'FD');
const cpu = value('cpu', 'CPU');
const n = value('number', 'N');
const event = oneOf(['cycles', 'instructions']);
const onCpu = optional(word('on'), cpu);

/** Every command, in the order help lists them (the README's Commands table follows it). */
export const commandSpecs: readonly CommandSpec[] = [
  {
    word: 'spawn', args: [value('name', 'NAME'), optional(word('aarch32')), onCpu], kinds: ['spawn'], scope: 'language',
    summary: 'a new process with a new mm; prints its pid',
    kernel: 'fork + exec of a new program: a new task and mm (AArch32 with aarch32); it starts at once on the CPU named or an idle one, else waits on a run queue. Model: it has no parent, and runs at a fixed rate of instructions a cycle (IPC).',
    example: 'spawn app on 2',
  },
  {
    word: 'thread', args: [pid, onCpu], kinds: ['thread'], scope: 'language',
    summary: "a new thread in PID's mm",
    kernel: "clone(CLONE_VM) by PID: a task sharing PID's mm, so it shares the design's per-mm state; perf_event_init_task gives it its own copy of each of PID's `inherit` events. Model: it starts with an empty fd table (real threads share one).",
    example: 'thread 100 on 1',
  },
  {
    word: 'fork', args: [pid, onCpu], kinds: ['fork'], scope: 'language',
    summary: "a child process whose mm is a copy of PID's",
    kernel: "fork(): dup_mm copies the mm with the design's per-mm state but not the perf mappings (VM_DONTCOPY); dup_fd copies the fds; the child's perf context gets only the inherit events (docs/KERNEL.md §3).",
    example: 'fork 100',
  },
  {
    word: 'open', args: [pid, event, flags([word('user')], [word('64bit')], [word('inherit')], [word('cloexec')])], kinds: ['open'], scope: 'language',
    summary: 'open a task-bound perf event; prints the fd',
    kernel: 'perf_event_open(pid, cpu = -1): counts only while PID runs. user asks for EL0 reads (config1 under upstream), 64bit a 64-bit (chained) counter, inherit attr.inherit, cloexec PERF_FLAG_FD_CLOEXEC. Errors come back as -EINVAL etc.',
    example: 'open 100 cycles user',
  },
  {
    word: 'open', args: [word('cpu'), cpu, event, flags([word('user')], [word('64bit')], [word('cloexec')], [word('by'), pid])], kinds: ['open-cpu'], scope: 'language',
    summary: 'open a per-CPU event; by PID: opened by that task',
    kernel: 'perf_event_open(pid = -1, cpu): counts whatever runs on CPU, as a system-wide perf record does. by PID puts the fd in that task, so it can mmap it; without by, a tool outside the model holds it (close cpu FD).',
    example: 'open cpu 1 cycles by 100',
  },
  {
    word: 'close', args: [pid, fd], kinds: ['close'], scope: 'language',
    summary: "close PID's fd",
    kernel: 'close(2): the event is released when no fd (a fork\'s copy) and no mapping holds it any more; its counter is freed.',
    example: 'close 100 3',
  },
  {
    word: 'close', args: [word('cpu'), value('cpu-fd', 'FD')], kinds: ['close-cpu'], scope: 'language',
    summary: 'close a per-CPU event the system-wide tool opened',
    kernel: 'close(2) by the system-wide tool outside the model: releases the per-CPU event.',
    example: 'close cpu 3',
  },
  {
    word: 'mmap', args: [pid, fd], kinds: ['mmap'], scope: 'language',
    summary: "map the event's user page in PID's mm",
    kernel: "perf_mmap() under mmap_lock: calls the design's event_mapped(event, mm) hook (v4: the per-mm count's 0 -> 1 edge refreshes PMUSERENR_EL0 on every CPU by IPI, docs/KERNEL.md §5.1) and publishes the page on the first mmap.",
    example: 'mmap 100 3',
  },
  {
    word: 'munmap', args: [pid, fd], kinds: ['munmap'], scope: 'language',
    summary: "unmap the event's user page from PID's mm",
    kernel: "munmap(2) under mmap_lock: calls event_unmapped(event, mm) (v4: the 1 -> 0 edge sends refresh_pmuserenr(NULL) to mm_cpumask(mm), which arm64 leaves empty, docs/KERNEL.md §5.1).",
    example: 'munmap 100 3',
  },
  {
    word: 'read', args: [pid, fd], kinds: ['read'], scope: 'language',
    summary: 'read the count the way libperf does: value, retries, SIGILL or fallback',
    kernel: "libperf's perf_mmap__read_self (docs/KERNEL.md §4): lock, index and offset from the user page, the counter register at EL0, retried when lock moved; index 0 or no cap_user_rdpmc falls back to read(2). A denied register read traps: SIGILL.",
    example: 'read 100 3',
  },
  {
    word: 'reset', args: [pid, fd], kinds: ['reset'], scope: 'language',
    summary: "zero the event's count",
    kernel: 'ioctl(PERF_EVENT_IOC_RESET): armpmu_event_update folds the counter in, the count goes to 0, and the user page is published (with 6.1\'s prev_count offset, docs/KERNEL.md §3).',
    example: 'reset 100 3',
  },
  {
    word: 'mrs', args: [pid, value('reg', 'pmccntr|pmevcntrN|pmselr')], kinds: ['mrs'], scope: 'language',
    summary: 'one EL0 register read by PID',
    kernel: 'MRS Xt, PMCCNTR_EL0 / PMEVCNTR<n>_EL0 / PMSELR_EL0 at EL0, allowed by PMUSERENR_EL0 CR and ER (docs/KERNEL.md §2); an AArch32 task\'s MRC p15 reads the low 32 bits. Denied: SIGILL (SIGSEGV under x86).',
    example: 'mrs 100 pmccntr',
  },
  {
    word: 'msr', args: [pid, value('reg', 'pmselr|pmccntr|pmevcntrN'), value('number', 'VALUE')], kinds: ['msr'], scope: 'language',
    summary: 'one EL0 register write by PID',
    kernel: 'MSR at EL0: PMSELR_EL0 (32 bits, allowed by ER) or a counter (allowed only by PMUSERENR_EL0.EN; under PMUv3.9 UEN with CR or ER set the write is ignored). Denied: SIGILL (SIGSEGV under x86).',
    example: 'msr 100 pmselr 31',
  },
  {
    word: 'migrate', args: [pid, cpu], kinds: ['migrate'], scope: 'language',
    summary: 'move PID to CPU',
    kernel: 'a migration (as sched_setaffinity forces one): PID leaves its CPU, which runs its next task or idles, and joins CPU\'s run queue, switched in at once when CPU is idle (__switch_mm runs the design\'s switch hook there).',
    example: 'migrate 100 2',
  },
  {
    word: 'exec32', args: [pid], kinds: ['exec32'], scope: 'language',
    summary: 'exec a 32-bit program in PID',
    kernel: 'execve of an AArch32 binary: a new mm, sibling threads killed, the old mm\'s mappings unmapped (event_unmapped), cloexec fds closed. Whether PMUSERENR is cleared for a compat task is up to the design.',
    example: 'exec32 100',
  },
  {
    word: 'exec64', args: [pid], kinds: ['exec64'], scope: 'language',
    summary: 'exec a 64-bit program in PID',
    kernel: 'execve of an AArch64 binary: a new mm, sibling threads killed, the old mm\'s mappings unmapped (event_unmapped), cloexec fds closed.',
    example: 'exec64 100',
  },
  {
    word: 'exit', args: [pid], kinds: ['exit'], scope: 'language',
    summary: 'PID exits',
    kernel: 'do_exit: exit_mm (the unmap hooks and the IPIs they wait for) before exit_files and perf_event_exit_task stop the task\'s events (docs/KERNEL.md §3).',
    example: 'exit 100',
  },
  {
    word: 'sleep', args: [pid], kinds: ['sleep'], scope: 'language',
    summary: 'PID blocks',
    kernel: 'the task blocks (schedule() away from it): its CPU switches to the next runnable task or idles.',
    example: 'sleep 100',
  },
  {
    word: 'wake', args: [pid], kinds: ['wake'], scope: 'language',
    summary: 'a blocked PID becomes runnable',
    kernel: "try_to_wake_up: the task joins its CPU's run queue, switched in at once when that CPU is idle.",
    example: 'wake 100',
  },
  {
    word: 'switch', args: [cpu, pid], kinds: ['switch'], scope: 'language',
    summary: 'force a context switch on CPU to PID',
    kernel: "__schedule on CPU picking PID: perf schedules the old task's events out and the new one's in, and __switch_mm runs the design's switch hook (v4: perf_switch_user_access, docs/KERNEL.md §5.1).",
    example: 'switch 1 100',
  },
  {
    word: 'tick', args: [optional(n)], kinds: ['tick'], scope: 'language',
    summary: 'N scheduler ticks (default 1): time moves',
    kernel: 'every CPU runs its task at EL0 for cycles-per-tick cycles (counters count, overflows raise PMU interrupts), pending IPIs are taken, then scheduler_tick: a spent slice switches tasks. At most about a second of work in one command.',
    example: 'tick 10',
  },
  {
    word: 'run', args: [value('number', 'N')], kinds: ['run'], scope: 'language',
    summary: 'every CPU runs exactly N cycles, no scheduling',
    kernel: 'EL0 time without a scheduler tick: brings a counter near a wrap; overflow interrupts are taken in closed form, so any length is quick.',
    example: 'run 4096',
  },
  {
    word: 'ipi', args: [oneOf(['manual', 'auto'])], kinds: ['ipi'], scope: 'language',
    summary: 'hold IPIs pending (manual) or take them at once (auto)',
    kernel: 'smp_call_function / on_each_cpu IPIs: manual leaves them pending so a race window (a switch before the IPI lands) can be opened with deliver.',
    example: 'ipi manual',
  },
  {
    word: 'deliver', args: [cpu], kinds: ['deliver'], scope: 'language',
    summary: 'CPU takes its oldest pending IPI',
    kernel: 'the IPI handler runs on CPU (generic_smp_call_function_single_interrupt → the function the sender named). Nothing pending is not an error.',
    example: 'deliver 1',
  },
  {
    word: 'policy', args: [value('design', 'NAME')], kinds: ['policy'], scope: 'language',
    summary: 'choose the kernel design: v4, v5, upstream, x86, hardened',
    kernel: 'which kernel the machine runs (docs/KERNEL.md §5); only before the first spawn, open, IPI or grant.',
    example: 'policy v5',
  },
  {
    word: 'sysctl', args: [word('perf_user_access'), n], kinds: ['knob'], scope: 'language',
    summary: 'set kernel.perf_user_access (upstream, hardened)',
    kernel: '/proc/sys/kernel/perf_user_access: 0 clears PMUSERENR on every CPU by IPI; values other than 0 and 1 get -EINVAL and the sysctl keeps its value (proc_dointvec_minmax).',
    example: 'sysctl perf_user_access 1',
  },
  {
    word: 'rdpmc', args: [n], kinds: ['knob'], scope: 'language',
    summary: "set x86's rdpmc mode (0, 1, 2)",
    kernel: '/sys/bus/event_source/devices/cpu/rdpmc: 0 never, 1 while an event is mapped (per-mm perf_rdpmc_allowed), 2 always sets CR4.PCE; others -EINVAL.',
    example: 'rdpmc 2',
  },
  {
    word: 'fault', args: [oneOf(faultNames, 'NAME'), oneOf(['on', 'off'])], kinds: ['fault'], scope: 'language',
    summary: `a what-if: ${faultNames.join(', ')}`,
    kernel: 'not the kernel as written: mmap-lock-skip calls the hooks without mmap_lock, cpumask-maintained fills mm_cpumask, zero-extend makes userspace skip sign extension, preempt-in-read reschedules inside a read, uen-alone and userenr-en change what a grant writes (README).',
    example: 'fault mmap-lock-skip on',
  },
  {
    word: 'check', args: [], kinds: ['check'], scope: 'language',
    summary: "the security monitor's findings so far",
    kernel: 'not a kernel action: the monitor judges the facts the kernel reported (EL0 reads, SIGILLs, read results, hooks) and lists each finding with its step. Observes; not a step.',
    example: 'check',
  },
  {
    word: 'explain', args: [optional(n)], kinds: ['explain'], scope: 'language',
    summary: 'why finding N happened (the latest without N; 1 is the first)',
    kernel: 'the causal chain: the EL0 access, the register write that allowed it (step, CPU, value, for whom), the context switch or IPI that wrote it, the call that sent it and the per-mm count edge behind it, the design\'s rule with its docs/KERNEL.md section, and what a design that fixes it does instead. Observes; not a step.',
    example: 'explain 1',
  },
  {
    word: 'why', args: [cpu], kinds: ['why'], scope: 'language',
    summary: 'why CPU allows what it allows now',
    kernel: 'what the CPU runs, its access register and the grant behind it (the write, its step, for whom, the switch or IPI that wrote it), whether the design means the running task to read counters, PMSELR and its writer, the counters in use. Observes; not a step.',
    example: 'why 2',
  },
  {
    word: 'say', args: [value('text', '"TEXT"')], kinds: ['say'], scope: 'language',
    summary: 'narration: a caption in the TUI, a line headless',
    kernel: 'not a kernel action. Observes; not a step.',
    example: 'say "watch CPU 2"',
  },
  {
    word: 'pause', args: [], kinds: ['pause'], scope: 'language',
    summary: 'wait for a key in the TUI (nothing headless)',
    kernel: 'not a kernel action. Observes; not a step.',
    example: 'pause',
  },
  {
    word: 'expect', args: [word('finding'), oneOf(findingCodes, 'CODE')], kinds: ['expect-finding'], scope: 'language',
    summary: 'assert a finding with CODE has happened',
    kernel: `the monitor's findings so far (a script fails when none has CODE). Observes. CODE: ${findingCodes.join(', ')}.`,
    example: 'expect finding access/other-mm',
  },
  {
    word: 'expect', args: [word('no-finding'), optional(oneOf(findingCodes, 'CODE'))], kinds: ['expect-no-finding'], scope: 'language',
    summary: 'assert no finding (with CODE) so far',
    kernel: "the monitor's findings so far (a script fails when one has CODE, or any without CODE). Observes.",
    example: 'expect no-finding leak/pmselr',
  },
  {
    word: 'expect', args: [word('read'), pid, fd, { t: 'alt', options: [[word('sigill')], [word('sigsegv')], [word('fallback')], [word('value'), n]] }], kinds: ['expect-read'], scope: 'language',
    summary: "perform a read and assert its outcome",
    kernel: "libperf's read protocol, as read does (so a step): a trap is sigsegv under x86, sigill elsewhere.",
    example: 'expect read 100 3 value 42',
  },
  {
    word: 'expect', args: [word('reg'), cpu, oneOf(['pmuserenr', 'pmselr']), value('number', 'VALUE')], kinds: ['expect-reg'], scope: 'language',
    summary: "assert a register's value on CPU",
    kernel: 'PMUSERENR_EL0 (EN=1, SW=2, CR=4, ER=8) or PMSELR_EL0 as CPU holds it now. Observes.',
    example: 'expect reg 0 pmuserenr 12',
  },
  {
    word: 'checkpoint', args: [value('hash', 'HASH'), { t: 'repeat', args: [value('part', 'PART=HASH')] }], kinds: ['checkpoint'], scope: 'language',
    summary: "assert the world's state hash",
    kernel: 'not a kernel action: the hash of the whole world; the parts say what differs when it does not match. Recordings carry them so replay proves the same world. Observes; not a step.',
    example: 'checkpoint 0123456789abcdef world=0011aaff',
  },
  {
    word: 'back', args: [optional(n)], kinds: ['back'], scope: 'language',
    summary: 'step back N steps (default 1)',
    kernel: 'not a kernel action: the session replays to N steps earlier (a tick N is N steps); the next command starts a new branch.',
    example: 'back 3',
  },
  {
    word: 'help', args: [optional(value('topic', 'CMD'))], kinds: ['help'], scope: 'language',
    summary: 'the commands, or how to use CMD (help marks: what each mark on the screen means)',
    kernel: 'not a kernel action: usage, what the command stands for in the kernel, and an example. Observes; not a step.',
    example: 'help mmap',
  },
  {
    word: 'explore',
    args: [flags([value('bound', 'ipi=any|auto')], [value('bound', 'switches=N')], [value('bound', 'migrations=N')], [value('bound', 'ticks=N')], [value('bound', 'depth=N')], [value('bound', 'states=N')], [value('bound', 'walks=N')], [value('bound', 'seed=N')])],
    kinds: ['explore'], scope: 'language',
    summary: 'a scenario: the setup ends here; pmuplay explore FILE searches what follows',
    kernel: 'not a kernel action: the bounds of pmuplay explore\'s breadth-first search over the programs\' interleavings. ipi=any (default) holds IPIs pending (ipi manual) and makes taking each one a choice at every point; switches, migrations and ticks bound how many switch CPU PID, migrate PID CPU and tick choices one trace may hold (default 0); depth the choices a trace holds (default 32), states the distinct states kept (default 1000000). walks=N makes N seeded random walks (seed, default 1) instead, for spaces too large to exhaust: the trace of each finding is the shortest the walks met, not a shortest one. Outside explore it observes; not a step.',
    example: 'explore ipi=any switches=2 depth=16',
  },
  {
    word: 'program', args: [value('program-pid', 'PID:'), value('command', 'CMD'), { t: 'repeat', args: [value('command', '; CMD')] }], kinds: ['program'], scope: 'language',
    summary: "a scenario: what task PID does, in order, for explore to interleave",
    kernel: "not a kernel action: task PID's own commands (open, close, mmap, munmap, read, reset, mrs, msr, migrate, exec32, exec64, exit, sleep, thread, fork), each naming PID; the search runs each when it may (a task blocked in a syscall waits) in every order against the other programs, IPI deliveries and scheduler choices. Outside explore it observes; not a step.",
    example: 'program 100: mmap 100 3; read 100 3; munmap 100 3',
  },
  {
    word: 'save', args: [value('name', 'FILE')], kinds: [], scope: 'playground',
    summary: 'write the session so far as a recording (playground only)',
    kernel: 'not a kernel action: the current branch replayed into a .pmu recording with checkpoints, written through a temporary file; asks before replacing a file.',
    example: 'save session.pmu',
  },
  {
    word: 'save', args: [word('--trace'), value('name', 'FILE')], kinds: [], scope: 'playground',
    summary: 'write the session so far as a trace for ui.perfetto.dev or chrome://tracing (playground only)',
    kernel: 'not a kernel action: the current branch replayed into a Chrome Trace Event JSON file (a track per CPU: tasks, syscalls, IRQs, IPIs with arrows, hooks; the access register and counters; findings), written through a temporary file; asks before replacing a file.',
    example: 'save --trace session.json',
  },
  {
    word: 'quit', args: [], kinds: [], scope: 'playground',
    summary: 'leave the playground (as q does)',
    kernel: 'not a kernel action: a recording (--record) is closed with its checkpoint.',
    example: 'quit',
  },
];

/** Words of a scenario file only (`pmuplay explore`): the parser takes them anywhere and
 * `help WORD` explains them, but the playground does not offer them (there they only say
 * what they are), so they are left out of `commandWords`. */
export const scenarioWords: readonly string[] = ['explore', 'program'];

/** The words a command line may start with, in help order, each once: for help, completion and "did you mean". */
export const commandWords: readonly string[] = [...new Set(commandSpecs.map((s) => s.word))].filter((w) => !scenarioWords.includes(w));

/** Words that are commands only in the playground's command line. */
export const playgroundWords: readonly string[] = commandWords.filter((w) => commandSpecs.every((s) => s.word !== w || s.scope === 'playground'));

/** The rows of one command word (several for `open`, `close`, `expect`). */
export function specsOf(word: string): CommandSpec[] {
  return commandSpecs.filter((s) => s.word === word);
}

function render(args: Arg[]): string {
  return args.map(renderArg).join(' ');
}

function renderArg(a: Arg): string {
  switch (a.t) {
    case 'word':
      return a.word;
    case 'value':
      return a.name;
    case 'alt':
      return a.name ?? a.options.map(render).join('|');
    case 'optional':
      return `[${render(a.args)}]`;
    case 'flags':
      return a.options.map((o) => `[${render(o)}]`).join(' ');
    case 'repeat':
      return `[${render(a.args)} …]`;
  }
}

/** Where a line stands in one form of a command: the arguments still to come, and the pid named so far (for its fds). */
export interface Place {
  /** The form (row) this place is in. */
  spec: CommandSpec;
  rest: Arg[];
  pid: string | null;
}

/** The next single word a place can take (a fixed word or a value), and where each leaves it. */
export function nextArgs(rest: Arg[]): { next: Extract<Arg, { t: 'word' | 'value' }>; rest: Arg[] }[] {
  const [a, ...tail] = rest;
  if (!a) return [];
  switch (a.t) {
    case 'word':
    case 'value':
      return [{ next: a, rest: tail }];
    case 'alt':
      return a.options.flatMap((o) => nextArgs([...o, ...tail]));
    case 'optional':
      return [...nextArgs([...a.args, ...tail]), ...nextArgs(tail)];
    case 'flags':
      return [
        ...a.options.flatMap((o, i) => nextArgs([...o, { t: 'flags', options: a.options.filter((_, j) => j !== i) }, ...tail])),
        ...nextArgs(tail),
      ];
    case 'repeat':
      return [...nextArgs([...a.args, a, ...tail]), ...nextArgs(tail)];
  }
}

const number = /^(0x[0-9a-fA-F]+|[0-9][0-9_]*)$/;

/** Whether a typed word can stand in a value slot (so `open cpu` is not read as `open PID`). */
function fits(value: ValueKind, word: string): boolean {
  switch (value) {
    case 'pid':
    case 'fd':
    case 'cpu-fd':
    case 'cpu':
    case 'number':
      return number.test(word);
    case 'reg':
      return /^(pmccntr|pmselr|pmevcntr[0-9]+)$/.test(word);
    case 'hash':
      return /^[0-9a-f]+$/.test(word);
    case 'part':
    case 'bound':
      return word.includes('=');
    case 'program-pid':
      return /^[0-9][0-9_x]*:$/.test(word);
    case 'command':
      return true;
    case 'text':
      return word.startsWith('"');
    case 'design':
    case 'topic':
    case 'name':
      return true;
  }
}

/**
 * Where a line of words can stand, in each form of its command word that takes them all so
 * far (completion offers what these places take next; `formsOf` asks which can end here).
 * A quoted string is passed with its opening quote.
 */
export function placesAfter(words: readonly string[]): Place[] {
  let places: Place[] = words.length === 0 ? [] : specsOf(words[0]!).map((spec) => ({ spec, rest: spec.args, pid: null }));
  for (const w of words.slice(1)) {
    places = places.flatMap((p) =>
      nextArgs(p.rest)
        .filter(({ next }) => (next.t === 'word' ? next.word === w : fits(next.value, w)))
        .map(({ next, rest }) => ({ spec: p.spec, rest, pid: next.t === 'value' && next.value === 'pid' ? w : p.pid })),
    );
  }
  return places;
}

/** Whether nothing more need come: every argument left is optional. */
function canEnd(rest: Arg[]): boolean {
  return rest.every((a) => a.t === 'optional' || a.t === 'flags' || a.t === 'repeat');
}

/** The forms a whole line of words is, by this table's grammar (the tests hold the parser to it). */
export function formsOf(words: readonly string[]): CommandSpec[] {
  return [...new Set(placesAfter(words).filter((p) => canEnd(p.rest)).map((p) => p.spec))];
}

/** The usage line of one form: `open PID cycles|instructions [user] [64bit] [inherit] [cloexec]`. */
export function usage(spec: CommandSpec): string {
  return [spec.word, ...(spec.args.length > 0 ? [render(spec.args)] : [])].join(' ');
}

/** The usage of every form of `word`, joined with ' or '; null for a word that is no command. */
export function usageOf(word: string): string | null {
  const rows = specsOf(word);
  return rows.length === 0 ? null : rows.map(usage).join(' or ');
}

/** Where `help` points for what a word means when the screen has one line. */
function where(spec: CommandSpec): string {
  return spec.scope === 'playground' ? ' (playground only)' : '';
}

/** `help WORD`: for each form, its usage, what it does, in kernel terms, and an example. */
/** `help marks`: every mark and abbreviation the screen and the log use. */
export const marksLegend: readonly string[] = [
  'USERENR +CR|ER for mm1 (fn): access granted (green), for whom, by what',
  '  CR: cycle counter  ER: event counters, PMSELR  EN: all  UEN: per counter',
  '  C after UEN: PMUACR_EL1 opens these counters only (hardened)',
  'USERENR !CR|ER for mm1, not mm2 (red): access the task should not have',
  'PMSELR 5 by 101: select register, its writer   IPIs: calls not yet taken',
  'CC: cycle counter  E0-E5: event counters (owner pid:fd or cpu:fd, value)',
  '  2.1G: values shortened (k M G T); 0xffffffff80000001: a fresh 32-bit event',
  '  biased 2^31 - 1 below overflow   ! overflowed   ~ value left by an event',
  '  switched out or gone',
  'Tasks: fd:type  +u readable  +m mapped  * counting  i inherited  (PID) by',
  'Log: step, CPU, event; a red ! line is a finding (explain N: why)',
  'Header: design, sysctl/rdpmc, tick, step (tick N = N steps), pace, REC',
  'why CPU: why a CPU allows what it allows   explain N: why finding N',
];

export function helpLines(word: string): string[] {
  if (word === 'marks') return [...marksLegend];
  const lines: string[] = [];
  for (const s of specsOf(word)) {
    if (lines.length > 0) lines.push('');
    lines.push(`${usage(s)} — ${s.summary}${where(s)}`);
    lines.push(`  kernel: ${s.kernel}`);
    lines.push(`  example: ${s.example}`);
  }
  return lines;
}

/** `help` alone: one line a command form, usage and summary. */
export function helpIndex(): string[] {
  return [
    ...commandSpecs.map((s) => `${usage(s)} — ${s.summary}`),
    'help CMD says what CMD does in kernel terms, with an example.',
  ];
}
