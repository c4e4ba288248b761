/**
 * A worker thread of `pmuplay explore` (explore-parallel.ts starts it): an Expander
 * (engine/explore-expand.ts) that holds its share of the search's states and expands them
 * when told, posting each state's children back as plain data. The messages are `WorkerIn`
 * and `WorkerOut`; expanding goes in chunks, so the thread reads `settle` between them and
 * lets go of the children that were not new states as soon as it is told.
 */
import { parentPort } from 'node:worker_threads';
import { Expander, type Expansion, type PathStep } from './engine/explore-expand.js';
import type { Scenario } from './engine/explore-scenario.js';

export type WorkerIn =
  | { t: 'init'; scenario: Scenario }
  | { t: 'adopt'; items: { id: number; path: PathStep[] }[] }
  | { t: 'drop'; ids: number[] }
  | { t: 'expand'; ids: number[]; atBound: boolean; chunk: number }
  | { t: 'settle'; items: [number, number[]][] };

export type WorkerOut = { t: 'expanded'; results: [number, Expansion][] } | { t: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('explore-worker.ts runs as a worker thread');

let expander: Expander | null = null;
/** The states to expand, in the order given (each `expand` message adds to the end), and whether each one's children are at the depth bound. */
let queue: { ids: number[]; atBound: boolean[]; at: number } = { ids: [], atBound: [], at: 0 };
let chunk = 64;
let pumping = false;

function post(m: WorkerOut): void {
  port!.postMessage(m);
}

function pump(): void {
  const results: [number, Expansion][] = [];
  const end = Math.min(queue.ids.length, queue.at + chunk);
  for (; queue.at < end; queue.at++) {
    const id = queue.ids[queue.at]!;
    results.push([id, expander!.expand(id, queue.atBound[queue.at]!)]);
  }
  post({ t: 'expanded', results });
  if (queue.at < queue.ids.length) setImmediate(guarded(pump));
  else {
    queue = { ids: [], atBound: [], at: 0 };
    pumping = false;
  }
}

function guarded<A extends unknown[]>(f: (...a: A) => void): (...a: A) => void {
  return (...a) => {
    try {
      f(...a);
    } catch (e) {
      post({ t: 'error', message: (e as Error).stack ?? String(e) });
    }
  };
}

port.on(
  'message',
  guarded((m: WorkerIn) => {
    switch (m.t) {
      case 'init':
        expander = new Expander(m.scenario);
        expander.drop(0); // the start is held by the search's own thread
        expander.remember();
        return;
      case 'adopt':
        for (const { id, path } of m.items) expander!.adopt(id, path);
        return;
      case 'drop':
        for (const id of m.ids) expander!.drop(id);
        return;
      case 'expand':
        chunk = m.chunk;
        for (const id of m.ids) {
          queue.ids.push(id);
          queue.atBound.push(m.atBound);
        }
        if (!pumping) {
          pumping = true;
          setImmediate(guarded(pump));
        }
        return;
      case 'settle':
        for (const [parent, ids] of m.items) expander!.settle(parent, ids);
        return;
    }
  }),
);
