/**
 * The fixed C half of a kernel-check program: the coordinator (init, PID 1 in the guest) and
 * the agent every scenario task runs. The generated half (c-program.ts) is a `scenario()` that
 * calls the `kc_*` functions below in script order.
 *
 * Lockstep: each task is an agent process or thread pinned to its CPU that spins at EL0 (as a
 * model task running at EL0 does) on its slot in a shared file, /kc.shm, until the coordinator
 * posts a request; it carries it out, prints its observation as one framed line
 * (`@@kc LINE WHAT key=value…`) and acknowledges. The coordinator waits for the ack (futex)
 * before the next line, so every command happens in script order, on its task's CPU. The
 * coordinator is pinned to the one CPU no task uses (the guest has the model's CPUs + 1).
 *
 * The same source builds the AArch32 agent (`exec32`; -DKC_AARCH32): CP15 MRC/MCR instead of
 * MRS/MSR. Observations that depend on timing (register accesses, reads, the page) are
 * repeated until one window has no context switch of the task (voluntary + nonvoluntary, from
 * /proc/thread-self/status), at most KC_TRIES times; each line says how many switches its
 * window saw.
 */
export const cRuntime = String.raw`
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define KC_SLOTS 32
#define KC_FDS 64
#define KC_TRIES 5
#define KC_ACK_TIMEOUT_S 60

enum kc_op { OP_NONE, OP_THREAD, OP_FORK, OP_OPEN, OP_CLOSE, OP_MMAP, OP_MUNMAP, OP_READ, OP_RESET,
             OP_MRS, OP_MSR, OP_MIGRATE, OP_EXEC32, OP_EXEC64, OP_EXIT, OP_SLEEP, OP_WAKE, OP_HERE };
enum kc_reg { REG_PMCCNTR, REG_PMEVCNTR, REG_PMSELR, REG_PMUSERENR };
enum { EV_CYCLES, EV_INSTRUCTIONS };
#define KC_USER 1
#define KC_64BIT 2
#define KC_INHERIT 4
#define KC_CLOEXEC 8
#define KC_PERCPU 16 /* open cpu CPU … by PID: pid -1, that CPU */

/* One task's mailbox. Fixed-width fields only: the AArch32 agent maps the same file. */
struct kc_slot {
  volatile uint32_t req, ack;      /* the coordinator bumps req; the agent copies it to ack */
  volatile uint32_t sleeping;      /* the agent blocks in futex_wait instead of spinning */
  uint32_t op, line, cpu, child, arg;
  int32_t fd;                      /* the real fd (the coordinator maps the model's fd) */
  uint32_t reg, n, pad;
  uint64_t value;
  int32_t result;                  /* open: the fd or -errno; fork/thread: 0 or -errno */
  int32_t pid;
};
struct kc_shm { struct kc_slot slot[KC_SLOTS]; };
static struct kc_shm *shm;
/* Where the program, the AArch32 agent and the shared file are: "" in the guest (the
 * initramfs root), a directory on the host (--on-host). */
static char kc_root[256];

static void kc_path(char *buf, size_t size, const char *name) { snprintf(buf, size, "%s/%s", kc_root, name); }

static long futex(volatile uint32_t *addr, int op, uint32_t val, const struct timespec *t) {
  return syscall(SYS_futex, (uint32_t *)addr, op, val, t, 0, 0);
}

/* One framed line, one write(2): lines of different tasks never interleave. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void say(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  (void)!write(1, buf, n);
}

static const char *errname(int e) {
  switch (e) {
  case 0: return "0";
  case EINVAL: return "EINVAL";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case EAGAIN: return "EAGAIN";
  case EACCES: return "EACCES";
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case EBADF: return "EBADF";
  case ENODEV: return "ENODEV";
  case EBUSY: return "EBUSY";
  case ESRCH: return "ESRCH";
  default: return "E?";
  }
}

/* ---- context switches of the calling thread (/proc/thread-self/status) ---- */
static long switches(void) {
  char buf[2048];
  int f = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
  if (f < 0) return -1;
  ssize_t n = read(f, buf, sizeof buf - 1);
  close(f);
  if (n <= 0) return -1;
  buf[n] = 0;
  long total = 0;
  for (char *p = buf; (p = strstr(p, "ctxt_switches:")) != NULL; p++) total += strtol(p + 14, NULL, 10);
  return total;
}

/* ---- EL0 register access, a trap caught as SIGILL ---- */
static __thread sigjmp_buf trap_jmp;
static __thread volatile int trap_armed;
static void on_sigill(int sig) {
  (void)sig;
  if (trap_armed) siglongjmp(trap_jmp, 1);
  _exit(99);
}

#ifdef KC_AARCH32
#define MRC(crn, crm, op2, v) __asm__ volatile("mrc p15, 0, %0, " #crn ", " #crm ", " #op2 : "=r"(v))
#define MCR(crn, crm, op2, v) __asm__ volatile("mcr p15, 0, %0, " #crn ", " #crm ", " #op2 ::"r"(v))
/* PMEVCNTR<n>: CP15 c14, c8+n/8, n%8 (ARMv8 AArch32). */
#define EVCASE(n, crm, op2) case n: if (write) MCR(c14, crm, op2, w); else MRC(c14, crm, op2, r); break;
static uint64_t raw_access(int reg, int n, int write, uint64_t value) {
  uint32_t r = 0, w = (uint32_t)value;
  switch (reg) {
  case REG_PMCCNTR: if (write) MCR(c9, c13, 0, w); else MRC(c9, c13, 0, r); break;
  case REG_PMSELR: if (write) MCR(c9, c12, 5, w); else MRC(c9, c12, 5, r); break;
  case REG_PMUSERENR: MRC(c9, c14, 0, r); break;
  default:
    switch (n) { EVCASE(0, c8, 0) EVCASE(1, c8, 1) EVCASE(2, c8, 2) EVCASE(3, c8, 3) EVCASE(4, c8, 4) EVCASE(5, c8, 5)
                 EVCASE(6, c8, 6) EVCASE(7, c8, 7) default: break; }
  }
  return r;
}
#else
#define MRS(name, v) __asm__ volatile("mrs %0, " #name : "=r"(v))
#define MSR(name, v) __asm__ volatile("msr " #name ", %0" ::"r"(v))
#define EVCASE(n) case n: if (write) MSR(pmevcntr##n##_el0, value); else MRS(pmevcntr##n##_el0, r); break;
static uint64_t raw_access(int reg, int n, int write, uint64_t value) {
  uint64_t r = 0;
  switch (reg) {
  case REG_PMCCNTR: if (write) MSR(pmccntr_el0, value); else MRS(pmccntr_el0, r); break;
  case REG_PMSELR: if (write) MSR(pmselr_el0, value); else MRS(pmselr_el0, r); break;
  case REG_PMUSERENR: MRS(pmuserenr_el0, r); break;
  default:
    switch (n) { EVCASE(0) EVCASE(1) EVCASE(2) EVCASE(3) EVCASE(4) EVCASE(5) EVCASE(6) EVCASE(7)
                 EVCASE(8) EVCASE(9) EVCASE(10) EVCASE(11) EVCASE(12) EVCASE(13) EVCASE(14)
                 EVCASE(15) EVCASE(16) EVCASE(17) EVCASE(18) EVCASE(19) EVCASE(20) EVCASE(21)
                 EVCASE(22) EVCASE(23) EVCASE(24) EVCASE(25) EVCASE(26) EVCASE(27) EVCASE(28)
                 EVCASE(29) EVCASE(30) default: break; }
  }
  return r;
}
#endif

/* One access: 0 and the value in *out, or 1 when it trapped (SIGILL). */
static int access_reg(int reg, int n, int write, uint64_t value, uint64_t *out) {
  if (sigsetjmp(trap_jmp, 1)) { trap_armed = 0; return 1; }
  trap_armed = 1;
  uint64_t v = raw_access(reg, n, write, value);
  trap_armed = 0;
  if (out) *out = v;
  return 0;
}

static const char *reg_name(int reg, int n) {
  static __thread char buf[24];
  switch (reg) {
  case REG_PMCCNTR: return "pmccntr";
  case REG_PMSELR: return "pmselr";
  case REG_PMUSERENR: return "pmuserenr";
  default: snprintf(buf, sizeof buf, "pmevcntr%d", n); return buf;
  }
}

/* ---- the agent: one per scenario task ---- */
static __thread int my_slot = -1;
/* The task's context switches when it finished its previous line: a line's "gap" is how many
 * it had since (the model's task, spinning at EL0, has none unless the script switches it). */
static __thread long last_switches = -1;
static long gap(long now) { return now < 0 || last_switches < 0 ? -1 : now - last_switches; }
static struct perf_event_mmap_page *pages[KC_FDS]; /* per process: a mapping is per mm */

static uint64_t count_by_read(int fd, int *ok) {
  uint64_t v = 0;
  *ok = read(fd, &v, sizeof v) == (ssize_t)sizeof v;
  return v;
}

/*
 * libperf's perf_mmap__read_self (tools/lib/perf/mmap.c), with its outcome: a value, a trap, or
 * the read(2) fallback (index 0, cap_user_rdpmc 0, or no page). "right": the value lies between
 * read(2) counts taken just before and just after (the event's own count).
 */
static void read_self(struct kc_slot *s, const char *what) {
  int fd = s->fd;
  struct perf_event_mmap_page *pc = fd >= 0 && fd < KC_FDS ? pages[fd] : NULL;
  for (int attempt = 1; attempt <= KC_TRIES; attempt++) {
    int ok1 = 0, ok2 = 0;
    long before = switches();
    uint64_t lo = count_by_read(fd, &ok1);
    const char *kind = "value";
    uint64_t count = 0;
    uint32_t seq, idx = 0, cap = 0, width = 0, tries = 0;
    uint64_t offset = 0, raw = 0, enabled = 0, running = 0;
    if (!pc) {
      kind = "fallback";
    } else {
      do {
        tries++;
        seq = pc->lock;
        __sync_synchronize();
        idx = pc->index;
        count = offset = pc->offset;
        enabled = pc->time_enabled;
        running = pc->time_running;
        cap = pc->cap_user_rdpmc;
        width = pc->pmc_width;
        if (!cap || !idx) { kind = "fallback"; break; }
        raw = 0;
        int reg = idx - 1 == 31 ? REG_PMCCNTR : REG_PMEVCNTR;
        if (access_reg(reg, idx - 1, 0, 0, &raw)) { kind = "sigill"; break; }
        if (width == 0 || width > 64) width = 64;
        count += (uint64_t)((int64_t)(raw << (64 - width)) >> (64 - width));
        __sync_synchronize();
      } while (pc->lock != seq && tries < 100);
    }
    if (strcmp(kind, "fallback") == 0) count = count_by_read(fd, &ok1);
    uint64_t hi = count_by_read(fd, &ok2);
    long after = switches();
    long sw = before < 0 || after < 0 ? -1 : after - before;
    if (sw != 0 && attempt < KC_TRIES) continue;
    int right = ok1 && ok2 && lo <= count && count <= hi;
    say("@@kc %u %s kind=%s value=%llu right=%d lo=%llu hi=%llu page=%d cap=%u index=%u width=%u offset=%llu raw=%llu "
        "time_enabled=%llu time_running=%llu tries=%u switches=%ld attempt=%d gap=%ld",
        s->line, what, kind, (unsigned long long)count, right, (unsigned long long)lo, (unsigned long long)hi,
        pc != NULL, cap, idx, width, (unsigned long long)offset, (unsigned long long)raw, (unsigned long long)enabled,
        (unsigned long long)running, tries, sw, attempt, gap(before));
    return;
  }
}

/* A register access at EL0, repeated until a window without a context switch. */
static void observe_reg(struct kc_slot *s, int reg, int n, const char *what) {
  for (int attempt = 1; attempt <= KC_TRIES; attempt++) {
    uint64_t v = 0;
    long before = switches();
    int trapped = access_reg(reg, n, 0, 0, &v);
    long after = switches();
    long sw = before < 0 || after < 0 ? -1 : after - before;
    if (sw != 0 && attempt < KC_TRIES) continue;
    say("@@kc %u %s reg=%s trap=%d value=%llu cpu=%d switches=%ld attempt=%d gap=%ld", s->line, what, reg_name(reg, n), trapped,
        (unsigned long long)v, sched_getcpu(), sw, attempt, gap(before));
    return;
  }
}

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) say("@@kc 0 error what=sched_setaffinity cpu=%d errno=%s", cpu, errname(errno));
}

static void agent_loop(int slot);

static void *thread_main(void *arg) {
  int slot = (int)(intptr_t)arg;
  pin(shm->slot[slot].cpu);
  agent_loop(slot);
  return NULL;
}

static void map_shm(void) {
  char path[300];
  kc_path(path, sizeof path, "kc.shm");
  int f = open(path, O_RDWR);
  if (f < 0) _exit(98);
  shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
  close(f);
  if (shm == MAP_FAILED) _exit(97);
}

static void finish(struct kc_slot *s) {
  __sync_synchronize();
  s->ack = s->req;
  futex(&s->ack, FUTEX_WAKE, 1, NULL);
}

/* perf_event_open of the calling task (cpu < 0) or of one CPU (open cpu); the fd or -errno. */
static int open_event(unsigned line, int event, int flags, int cpu) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = event == EV_CYCLES ? PERF_COUNT_HW_CPU_CYCLES : PERF_COUNT_HW_INSTRUCTIONS;
  /* config1 bit 1: user access (arm64 rdpmc); bit 0: a 64-bit counter. */
  attr.config1 = (flags & KC_USER ? 2 : 0) | (flags & KC_64BIT ? 1 : 0);
  attr.inherit = !!(flags & KC_INHERIT);
  long fd = syscall(SYS_perf_event_open, &attr, cpu < 0 ? 0 : -1, cpu, -1, flags & KC_CLOEXEC ? PERF_FLAG_FD_CLOEXEC : 0);
  int e = errno;
  say("@@kc %u open fd=%ld errno=%s", line, fd < 0 ? -1 : fd, fd < 0 ? errname(e) : "0");
  return fd < 0 ? -e : (int)fd;
}

static void do_open(struct kc_slot *s) {
  s->result = open_event(s->line, s->arg, s->n, s->n & KC_PERCPU ? (int)s->cpu : -1);
}

static void do_mmap(struct kc_slot *s) {
  int fd = s->fd;
  void *p = fd >= 0 && fd < KC_FDS ? mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (p == MAP_FAILED) {
    say("@@kc %u mmap ok=0 errno=%s", s->line, errname(errno));
    return;
  }
  pages[fd] = p;
  struct perf_event_mmap_page *pc = p;
  for (int attempt = 1; attempt <= KC_TRIES; attempt++) {
    long before = switches();
    uint32_t cap = pc->cap_user_rdpmc, idx = pc->index, width = pc->pmc_width;
    uint64_t enabled = pc->time_enabled, running = pc->time_running;
    long after = switches();
    long sw = before < 0 || after < 0 ? -1 : after - before;
    if (sw != 0 && attempt < KC_TRIES) continue;
    say("@@kc %u mmap ok=1 cap=%u index=%u width=%u time_enabled=%llu time_running=%llu switches=%ld attempt=%d gap=%ld", s->line, cap, idx,
        width, (unsigned long long)enabled, (unsigned long long)running, sw, attempt, gap(before));
    return;
  }
}

static void carry_out(int slot) {
  struct kc_slot *s = &shm->slot[slot];
  switch (s->op) {
  case OP_OPEN: do_open(s); break;
  case OP_CLOSE: say("@@kc %u close ok=%d", s->line, close(s->fd) == 0); break;
  case OP_MMAP: do_mmap(s); break;
  case OP_MUNMAP: {
    int fd = s->fd, ok = fd >= 0 && fd < KC_FDS && pages[fd] && munmap(pages[fd], sysconf(_SC_PAGESIZE)) == 0;
    if (ok) pages[fd] = NULL;
    say("@@kc %u munmap ok=%d", s->line, ok);
    break;
  }
  case OP_READ: read_self(s, s->arg ? "expect-read" : "read"); break;
  case OP_RESET: say("@@kc %u reset ok=%d", s->line, ioctl(s->fd, PERF_EVENT_IOC_RESET, 0) == 0); break;
  case OP_MRS: observe_reg(s, s->reg, s->n, s->arg ? "expect-reg" : "mrs"); break;
  case OP_MSR: {
    int trapped = access_reg(s->reg, s->n, 1, s->value, NULL);
    say("@@kc %u msr reg=%s trap=%d cpu=%d", s->line, reg_name(s->reg, s->n), trapped, sched_getcpu());
    break;
  }
  case OP_MIGRATE: pin(s->cpu); say("@@kc %u migrate cpu=%d", s->line, sched_getcpu()); break;
  case OP_HERE: say("@@kc %u here cpu=%d", s->line, sched_getcpu()); break;
  case OP_SLEEP: s->sleeping = 1; say("@@kc %u sleep", s->line); break;
  case OP_WAKE: s->sleeping = 0; say("@@kc %u wake cpu=%d", s->line, sched_getcpu()); break;
  case OP_THREAD: {
    struct kc_slot *c = &shm->slot[s->child];
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    c->ack = c->req;
    int e = pthread_create(&t, &a, thread_main, (void *)(intptr_t)s->child);
    s->result = -e;
    say("@@kc %u thread ok=%d", s->line, e == 0);
    break;
  }
  case OP_FORK: {
    struct kc_slot *c = &shm->slot[s->child];
    c->ack = c->req;
    pid_t pid = fork();
    if (pid == 0) {
      /* perf user pages are VM_DONTCOPY: the child has none of them. */
      memset(pages, 0, sizeof pages);
      pin(c->cpu);
      agent_loop(s->child);
    }
    s->result = pid < 0 ? -errno : 0;
    say("@@kc %u fork ok=%d", s->line, pid > 0);
    break;
  }
  case OP_EXEC32:
  case OP_EXEC64: {
    char arg[16], path[300];
    snprintf(arg, sizeof arg, "%d", slot);
    kc_path(path, sizeof path, s->op == OP_EXEC32 ? "kc-agent32" : "init");
    char *argv[] = {path, (char *)"agent", arg, kc_root, NULL};
    /* The new program acknowledges once it runs (agent_main). */
    execv(path, argv);
    say("@@kc %u exec ok=0 errno=%s", s->line, errname(errno));
    break;
  }
  case OP_EXIT:
    say("@@kc %u exit", s->line);
    finish(s);
    syscall(SYS_exit, 0); /* this thread only (exit_group would take the process) */
    break;
  default: break;
  }
}

static void agent_loop(int slot) {
  struct kc_slot *s = &shm->slot[slot];
  my_slot = slot;
  s->pid = getpid();
  /* From ack, not req: a request posted before this task first ran is still to be done. */
  uint32_t seen = s->ack;
  for (;;) {
    while (s->req == seen) {
      if (s->sleeping) futex(&s->req, FUTEX_WAIT, seen, NULL);
      /* else: spin at EL0, the way a model task runs */
    }
    seen = s->req;
    __sync_synchronize();
    carry_out(slot);
    last_switches = switches();
    finish(s);
  }
}

/* An exec'd agent (exec64 re-runs this program; exec32 runs the AArch32 build). */
static int agent_main(int slot, const char *root) {
  snprintf(kc_root, sizeof kc_root, "%s", root);
  map_shm();
  signal(SIGILL, on_sigill);
  struct kc_slot *s = &shm->slot[slot];
  say("@@kc %u exec ok=1 cpu=%d", s->line, sched_getcpu());
  finish(s);
  agent_loop(slot);
  return 0;
}

#ifndef KC_AARCH32
/* ---- the coordinator ---- */
static void power_off(void);
static int coordinator_cpu;

static uint64_t now_ns(void);
/* The coordinator spins for the ack rather than sleeping: were every CPU idle at once, QEMU
 * (-icount sleep=off) would jump the guest's clock to its next timer, which may be the mux
 * timer's expiry (the mux section below): a rotation the model does not make there. */
static void post(int slot) {
  struct kc_slot *s = &shm->slot[slot];
  uint32_t want = s->req + 1;
  __sync_synchronize();
  s->req = want;
  futex(&s->req, FUTEX_WAKE, 1, NULL);
  uint64_t until = now_ns() + KC_ACK_TIMEOUT_S * 1000000000ull;
  for (uint32_t n = 0; s->ack != want; n++) {
    if ((n & 0xfff) == 0 && now_ns() > until) {
      say("@@kc %u error what=timeout slot=%d", s->line, slot);
      say("@@kc-end");
      power_off();
    }
  }
}

static struct kc_slot *prepare(int slot, int op, int line) {
  struct kc_slot *s = &shm->slot[slot];
  s->op = op;
  s->line = line;
  s->arg = 0;
  return s;
}

/* spawn NAME [aarch32] on CPU: a new process; an AArch32 one runs the AArch32 agent. */
static void kc_spawn(int line, int slot, int cpu, int aarch32) {
  struct kc_slot *s = &shm->slot[slot];
  s->cpu = cpu;
  s->line = line;
  pid_t pid = fork();
  if (pid == 0) {
    /* The coordinator's own fds (the system-wide tool's events) are not the task's: its
     * perf fds start at 3, as the model's do. */
    syscall(SYS_close_range, 3, ~0U, 0);
    pin(cpu);
    if (aarch32) {
      char arg[16], path[300];
      snprintf(arg, sizeof arg, "%d", slot);
      kc_path(path, sizeof path, "kc-agent32");
      char *argv[] = {path, (char *)"agent", arg, kc_root, NULL};
      execv(path, argv);
      say("@@kc %d error what=exec32 errno=%s", line, errname(errno));
      _exit(1);
    }
    agent_loop(slot);
  }
  say("@@kc %d spawn ok=%d", line, pid > 0);
  /* The next line must find the AArch32 program running: wait until it answers. */
  if (aarch32 && pid > 0) {
    prepare(slot, OP_HERE, line);
    post(slot);
  }
}

static void kc_thread(int line, int slot, int parent, int cpu) {
  shm->slot[slot].cpu = cpu;
  struct kc_slot *s = prepare(parent, OP_THREAD, line);
  s->child = slot;
  post(parent);
}

static void kc_fork(int line, int slot, int parent, int cpu) {
  shm->slot[slot].cpu = cpu;
  struct kc_slot *s = prepare(parent, OP_FORK, line);
  s->child = slot;
  post(parent);
}

/* Returns the real fd (or -errno); the generated scenario keeps the model's fd -> real fd map. */
static int kc_open(int line, int slot, int event, int flags) {
  struct kc_slot *s = prepare(slot, OP_OPEN, line);
  s->arg = event;
  s->n = flags;
  post(slot);
  return s->result;
}

/* open cpu CPU … by PID: the task opens it; without by, the system-wide tool (the coordinator). */
static int kc_open_cpu(int line, int slot, int cpu, int event, int flags) {
  struct kc_slot *s = prepare(slot, OP_OPEN, line);
  s->arg = event;
  s->n = flags | KC_PERCPU;
  s->cpu = cpu;
  post(slot);
  return s->result;
}
static int tool_fd[KC_FDS];
#define kc_open_cpu_tool(line, cpu, event, flags) open_event(line, event, flags, cpu)
static void kc_close_tool(int line, int fd) { say("@@kc %d close ok=%d", line, close(fd) == 0); }

static void kc_fd_op(int line, int slot, int op, int fd, int expect) {
  struct kc_slot *s = prepare(slot, op, line);
  s->fd = fd;
  s->arg = expect;
  post(slot);
}
#define kc_close(line, slot, fd) kc_fd_op(line, slot, OP_CLOSE, fd, 0)
#define kc_mmap(line, slot, fd) kc_fd_op(line, slot, OP_MMAP, fd, 0)
#define kc_munmap(line, slot, fd) kc_fd_op(line, slot, OP_MUNMAP, fd, 0)
#define kc_read(line, slot, fd) kc_fd_op(line, slot, OP_READ, fd, 0)
#define kc_expect_read(line, slot, fd) kc_fd_op(line, slot, OP_READ, fd, 1)
#define kc_reset(line, slot, fd) kc_fd_op(line, slot, OP_RESET, fd, 0)

static void kc_reg(int line, int slot, int op, int reg, int n, uint64_t value, int expect) {
  struct kc_slot *s = prepare(slot, op, line);
  s->reg = reg;
  s->n = n;
  s->value = value;
  s->arg = expect;
  post(slot);
}
#define kc_mrs(line, slot, reg, n) kc_reg(line, slot, OP_MRS, reg, n, 0, 0)
#define kc_msr(line, slot, reg, n, value) kc_reg(line, slot, OP_MSR, reg, n, value, 0)
/* expect reg CPU pmuserenr|pmselr: the task running there reads the register at EL0. */
#define kc_expect_reg(line, slot, reg) kc_reg(line, slot, OP_MRS, reg, 0, 0, 1)

static void kc_simple(int line, int slot, int op, int cpu) {
  struct kc_slot *s = prepare(slot, op, line);
  s->cpu = cpu;
  post(slot);
}
#define kc_migrate(line, slot, cpu) kc_simple(line, slot, OP_MIGRATE, cpu)
#define kc_exec32(line, slot) kc_simple(line, slot, OP_EXEC32, 0)
#define kc_exec64(line, slot) kc_simple(line, slot, OP_EXEC64, 0)
#define kc_exit(line, slot) kc_simple(line, slot, OP_EXIT, 0)
#define kc_sleep(line, slot) kc_simple(line, slot, OP_SLEEP, 0)
/* switch CPU PID: the task was handed the CPU by the scheduler once it answers there. */
#define kc_switch(line, slot) kc_simple(line, slot, OP_HERE, 0)

static void kc_wake(int line, int slot) {
  struct kc_slot *s = prepare(slot, OP_WAKE, line);
  s->sleeping = 0;
  post(slot);
}

/* sysctl kernel.perf_user_access: a write to /proc/sys, its errno the observation. */
static void kc_sysctl(int line, const char *value) {
  int f = open("/proc/sys/kernel/perf_user_access", O_WRONLY);
  ssize_t n = f < 0 ? -1 : write(f, value, strlen(value));
  int e = errno;
  if (f >= 0) close(f);
  say("@@kc %d sysctl ok=%d errno=%s", line, n >= 0, n >= 0 ? "0" : errname(e));
  if (line == 0 && n < 0) say("@@kc 0 error what=boot-sysctl errno=%s", errname(e));
}

/* tick/run: simulated cycles as time; the guest's cycle counter runs at 1 GHz under QEMU. */
static void kc_sleep_ns(uint64_t ns) {
  struct timespec t = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &t, &t) == EINTR) {}
}
static void kc_spin_ns(int line, uint64_t ns) {
  kc_sleep_ns(ns);
  say("@@kc %d tick", line);
}

/* ---- the multiplexing timer (perf_mux_hrtimer), in step with the model's ticks ----
 * The model rotates a context whose group stayed off at the next tick. The kernel rotates when
 * the CPU's mux hrtimer fires; perf_mux_hrtimer_restart arms it with hrtimer_forward_now from
 * its last expiry, which starts at 0, so it fires only at multiples of the interval on
 * CLOCK_MONOTONIC. kc_mux_setup sets the interval to KC_MUX_MS on every hardware PMU (the store arms
 * each CPU's timer once; it fires at the next multiple and stops). Then: a line that arms the
 * timer when none is armed starts just after a multiple (kc_mux_align); while a timer is armed
 * no line may reach the next multiple (kc_mux_check says when one did: "mux-early", and the
 * report calls what follows inconclusive); a tick where the model's timer fires waits past
 * exactly one multiple (kc_mux_tick). */
#ifndef KC_MUX_MS /* the generated program sets it from the scenario (translate.ts muxMs) */
#define KC_MUX_MS 200ull
#endif
#define KC_MUX_NS (KC_MUX_MS * 1000000ull)
static uint64_t mux_epoch;
static int mux_early;
static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}
static void sleep_until_ns(uint64_t when) {
  uint64_t now = now_ns();
  if (when > now) kc_sleep_ns(when - now);
}
static void kc_mux_setup(void) {
  int written = 0, failed = 0;
  char path[600], buf[16];
  snprintf(buf, sizeof buf, "%llu", KC_MUX_MS);
  DIR *d = opendir("/sys/bus/event_source/devices");
  for (struct dirent *e; d && (e = readdir(d)) != NULL; ) {
    /* The hardware PMUs: armv8_cortex_a57, armv8_pmuv3_0 (-cpu max), … */
    if (strncmp(e->d_name, "armv8", 5) != 0) continue;
    snprintf(path, sizeof path, "/sys/bus/event_source/devices/%s/perf_event_mux_interval_ms", e->d_name);
    int f = open(path, O_WRONLY);
    if (f >= 0 && write(f, buf, strlen(buf)) > 0) written++;
    else failed++;
    if (f >= 0) close(f);
  }
  if (d) closedir(d);
  say("@@kc 0 mux interval_ms=%llu pmus=%d", KC_MUX_MS, written);
  if (written == 0 || failed) say("@@kc 0 error what=mux-interval written=%d failed=%d", written, failed);
}
static void kc_mux_align(int line) {
  uint64_t from = now_ns();
  sleep_until_ns((from / KC_MUX_NS + 1) * KC_MUX_NS + 1000000ull);
  uint64_t at = now_ns();
  mux_epoch = at / KC_MUX_NS;
  say("@@kc %d mux-align from_ns=%llu at_ns=%llu", line, (unsigned long long)from, (unsigned long long)at);
}
static void kc_mux_check(int line) {
  if (!mux_early && now_ns() / KC_MUX_NS != mux_epoch) {
    mux_early = 1;
    say("@@kc %d mux-early interval_ms=%llu at_ns=%llu", line, KC_MUX_MS, (unsigned long long)now_ns());
  }
}
static void kc_mux_tick(int line, uint64_t ns) {
  kc_mux_check(line);
  uint64_t from = now_ns(), next = (from / KC_MUX_NS + 1) * KC_MUX_NS;
  kc_sleep_ns(ns);
  sleep_until_ns(next + 1000000ull);
  mux_epoch = now_ns() / KC_MUX_NS;
  say("@@kc %d tick mux=1 from_ns=%llu at_ns=%llu", line, (unsigned long long)from, (unsigned long long)now_ns());
}

static void scenario(void);

/* The model's CPUs and one more for the coordinator (on a host: it may have too few). */
static void kc_need_cpus(int model_cpus) {
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (online < model_cpus + 1) {
    say("@@kc 0 error what=cpus online=%ld need=%d", online, model_cpus + 1);
    say("@@kc-end");
    power_off();
  }
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

static int on_host;

static void power_off(void) {
  if (!on_host) {
    sync();
    reboot(RB_POWER_OFF);
  }
  for (int i = 0; i < KC_SLOTS; i++) if (shm->slot[i].pid > 0) kill(shm->slot[i].pid, SIGKILL);
  exit(0);
}

/* In the guest: init, no arguments. On an arm64 host: init host DIR. */
int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "agent") == 0) return agent_main(atoi(argv[2]), argv[3]);
  on_host = argc >= 3 && strcmp(argv[1], "host") == 0;
  if (on_host) snprintf(kc_root, sizeof kc_root, "%s", argv[2]);
  else {
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
  }
  signal(SIGCHLD, reap);
  signal(SIGILL, on_sigill);
  char path[300];
  kc_path(path, sizeof path, "kc.shm");
  int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (f < 0 || ftruncate(f, sizeof *shm) != 0) { say("@@kc 0 error what=shm"); power_off(); }
  shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
  close(f);
  coordinator_cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
  pin(coordinator_cpu);
  struct utsname u;
  uname(&u);
  say("@@kc-begin cpus=%ld coordinator=%d release=%s machine=%s", sysconf(_SC_NPROCESSORS_ONLN), coordinator_cpu, u.release, u.machine);
  scenario();
  say("@@kc-end");
  power_off();
  return 0;
}
#else
int main(int argc, char **argv) {
  if (argc >= 4) return agent_main(atoi(argv[2]), argv[3]);
  return 1;
}
#endif
`;
