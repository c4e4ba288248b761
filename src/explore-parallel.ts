/**
 * `pmuplay explore` on every core: the search (engine/explore.ts) decides in this thread, in
 * the one order a layer is expanded in, so the results — states, findings, their shortest
 * traces, stalls, where a bound cut — are exactly those of a search in one thread; the
 * expanding, which is nearly all the work, is shared between this thread's Expander and one
 * Expander per worker thread (explore-worker.ts), each holding the states it made.
 *
 * A layer's states stay with the Expander that made them. When one Expander holds more of a
 * layer than the others, the surplus moves before the layer is expanded: picked evenly along
 * the layer (so every Expander's results keep coming in the order they are taken), each sent
 * as its path and replayed where it goes. While this thread waits for a worker's state, it
 * expands its own next ones ahead, a few chunks at most, yielding between chunks so that
 * results, progress and Ctrl-C get in.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Expansion } from './engine/explore-expand.js';
import type { Search } from './engine/explore.js';
import type { WorkerIn, WorkerOut } from './explore-worker.js';

export interface ParallelOptions {
  /** Worker threads beside this one. */
  workers: number;
  /** States a worker expands between messages, and this thread takes between yields. */
  chunk?: number;
  /** Layers smaller than this stay where they are held (moving a state costs a replay of its path). */
  spreadFrom?: number;
  /** Called between chunks (a progress line, Ctrl-C): it may stop the search. */
  onSlice?: () => void;
}

/** The default: a worker for every core but this thread's. */
export function defaultWorkers(): number {
  return Math.max(0, availableParallelism() - 1);
}

/**
 * A worker: its file at the top of dist/ once bundled; in the sources (tests and benches, run
 * through tsx), the TypeScript file beside this one, loaded through tsx's loader, which a
 * worker does not inherit. V8's flags are the process's, so a worker has the young generation
 * explore's process is started with (cli.ts).
 */
function startWorker(): Worker {
  for (const rel of ['./explore-worker.js', '../explore-worker.js']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) return new Worker(url);
  }
  const ts = new URL('./explore-worker.ts', import.meta.url);
  if (!existsSync(ts)) throw new Error('explore: the worker thread file explore-worker.js is missing beside pmuplay (rebuild with npm run build)');
  const api = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })`, { eval: true });
}

/** This thread's share of a layer beside a worker's 1 (measured: it spends about a fifth of its time deciding). */
const thisThreadWeight = 0.8;

/** How many chunks a worker is given ahead of the states being taken, and this thread works ahead of them. */
const aheadChunks = 16;

/** What each Expander did: states expanded (this thread's first), states moved between them, and the most this thread expanded ahead of the states taken. */
export interface ParallelReport {
  expanded: number[];
  moved: number;
  aheadMax: number;
}

/** Run `search` to its end (or until something stops it) on this thread and `opts.workers` worker threads. */
export async function runInParallel(search: Search, opts: ParallelOptions): Promise<ParallelReport> {
  const chunk = opts.chunk ?? 64;
  const spreadFrom = opts.spreadFrom ?? 64;
  const n = opts.workers + 1;
  const results = new Map<number, Expansion>();
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const workers = Array.from({ length: opts.workers }, () => {
    const w = startWorker();
    w.on('message', (m: WorkerOut) => {
      if (m.t === 'expanded') {
        for (const [id, e] of m.results) results.set(id, e);
      } else failure = new Error(`explore worker: ${m.message}`);
      poke();
    });
    w.on('error', (e) => {
      failure = e;
      poke();
    });
    w.on('exit', (code) => {
      failure ??= new Error(`explore worker exited (${code}) before the search ended`);
      poke();
    });
    return w;
  });
  const post = (h: number, m: WorkerIn) => workers[h - 1]!.postMessage(m);
  for (let h = 1; h < n; h++) post(h, { t: 'init', scenario: search.scenario });
  search.local.remember();
  const report: ParallelReport = { expanded: Array.from({ length: n }, () => 0), moved: 0, aheadMax: 0 };
  const check = () => {
    if (failure) throw failure;
  };
  try {
    while (search.advance()) {
      const { ids, holders } = search.rest();
      if (ids.length >= spreadFrom) report.moved += balance(search, ids, holders, n, post);
      const atBound = search.atBound();
      const local: number[] = [];
      const queues: number[][] = Array.from({ length: n }, () => []);
      ids.forEach((id, i) => (holders[i] === 0 ? local : queues[holders[i]!]!).push(id));
      // Each worker is kept some chunks ahead of the states being taken, not a whole layer:
      // a search that ends at its state bound mid-layer expands little in vain.
      const sent = Array.from({ length: n }, () => 0);
      const taken = Array.from({ length: n }, () => 0);
      const feed = () => {
        for (let h = 1; h < n; h++) {
          const q = queues[h]!;
          const room = chunk * aheadChunks - (sent[h]! - taken[h]!);
          if (sent[h]! >= q.length || room < chunk) continue;
          const ids = q.slice(sent[h], sent[h]! + room);
          sent[h]! += ids.length;
          post(h, { t: 'expand', ids, atBound, chunk });
        }
      };
      feed();
      const settles: [number, number[]][][] = Array.from({ length: n }, () => []);
      const flush = () => {
        for (let h = 1; h < n; h++) {
          if (settles[h]!.length === 0) continue;
          post(h, { t: 'settle', items: settles[h]! });
          settles[h] = [];
        }
      };
      // Between chunks: send what was decided, let messages and signals in, say how it goes.
      const pause = async () => {
        flush();
        await new Promise((r) => setImmediate(r));
        check();
        opts.onSlice?.();
      };
      let localAt = 0;
      /** This thread's states expanded ahead and not yet taken. */
      let ahead = 0;
      let done = 0;
      for (let i = 0; i < ids.length && !search.stats.end; ) {
        const id = ids[i]!;
        const h = holders[i]!;
        let exp = results.get(id);
        if (exp === undefined && h === 0) {
          if (local[localAt] !== id) throw new Error(`explore: state ${id} is not this thread's next`);
          exp = search.local.expand(id, atBound);
          localAt++;
        } else if (exp === undefined) {
          if (localAt < local.length && ahead < chunk * aheadChunks) {
            // Waiting for a worker: expand this thread's next state ahead, a few chunks at most.
            const next = local[localAt++]!;
            results.set(next, search.local.expand(next, atBound));
            if (++ahead > report.aheadMax) report.aheadMax = ahead;
            if (ahead % chunk === 0) await pause();
          } else {
            flush();
            await new Promise<void>((r) => {
              wake = r;
            });
            check();
          }
          continue;
        } else if (h === 0) ahead--;
        results.delete(id);
        report.expanded[h]!++;
        if (h !== 0 && ++taken[h]! % chunk === 0) feed();
        const childIds = search.take(id, exp, h);
        if (h === 0) search.local.settle(id, childIds);
        else settles[h]!.push([id, childIds]);
        i++;
        if (++done % chunk === 0) await pause();
      }
      flush();
    }
  } finally {
    // A search that ended mid-layer leaves children of states expanded ahead: let them go.
    search.local.forgetPending();
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return report;
}

/**
 * Before a layer is expanded: move states from the Expanders holding more than their share
 * to those holding less, picked evenly along each one's part of the layer, each sent as its
 * path (the receiver replays it) and let go by the sender. Returns how many moved.
 */
function balance(search: Search, ids: readonly number[], holders: number[], n: number, post: (h: number, m: WorkerIn) => void): number {
  // This thread also decides, so it holds a smaller share than a worker.
  const weight = (h: number) => (h === 0 ? thisThreadWeight : 1);
  const total = thisThreadWeight + (n - 1);
  const shares = Array.from({ length: n }, (_, h) => Math.ceil((ids.length * weight(h)) / total));
  const slack = Math.max(2, Math.floor(ids.length / n / 10));
  const mine: number[][] = Array.from({ length: n }, () => []);
  holders.forEach((h, i) => mine[h]!.push(i));
  const surplus: number[] = [];
  for (let h = 0; h < n; h++) {
    const extra = mine[h]!.length - shares[h]!;
    if (extra <= slack) continue;
    const every = mine[h]!.length / extra;
    for (let k = 0; k < extra; k++) surplus.push(mine[h]![Math.floor(k * every)]!);
  }
  if (surplus.length === 0) return 0;
  surplus.sort((a, b) => a - b);
  const adopt: { id: number; path: ReturnType<Search['steps']> }[][] = Array.from({ length: n }, () => []);
  const drop: number[][] = Array.from({ length: n }, () => []);
  let s = 0;
  for (let h = 0; h < n && s < surplus.length; h++) {
    for (let need = shares[h]! - mine[h]!.length; need > 0 && s < surplus.length; need--) {
      const i = surplus[s++]!;
      const id = ids[i]!;
      drop[holders[i]!]!.push(id);
      adopt[h]!.push({ id, path: search.steps(id) });
      holders[i] = h;
      search.moved(id, h);
    }
  }
  for (let h = 0; h < n; h++) {
    if (h === 0) {
      for (const id of drop[0]!) search.local.drop(id);
      for (const { id, path } of adopt[0]!) search.local.adopt(id, path);
      continue;
    }
    if (drop[h]!.length > 0) post(h, { t: 'drop', ids: drop[h]! });
    if (adopt[h]!.length > 0) post(h, { t: 'adopt', items: adopt[h]! });
  }
  return s;
}
