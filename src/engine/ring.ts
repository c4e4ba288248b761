/**
 * A bounded ring buffer as plain data: the log and the findings keep their newest entries, so
 * memory stays flat however long a session runs. Entries are never changed once pushed, so a
 * copy of the world shares them.
 */
export interface Ring<T> {
  readonly capacity: number;
  /** At most `capacity` entries; once full, `start` is the oldest. */
  items: T[];
  start: number;
  /** How many were ever pushed, including those that fell off. */
  total: number;
}

export function newRing<T>(capacity: number): Ring<T> {
  return { capacity, items: [], start: 0, total: 0 };
}

export function ringPush<T>(ring: Ring<T>, item: T): void {
  ring.total++;
  if (ring.items.length < ring.capacity) {
    ring.items.push(item);
    return;
  }
  ring.items[ring.start] = item;
  ring.start = (ring.start + 1) % ring.capacity;
}

/** Oldest first. */
export function ringEntries<T>(ring: Ring<T>): T[] {
  return ring.start === 0 ? ring.items.slice() : [...ring.items.slice(ring.start), ...ring.items.slice(0, ring.start)];
}

/** The newest `n` (at most all kept), oldest first; costs O(n), not O(capacity). */
export function ringLast<T>(ring: Ring<T>, n: number): T[] {
  const len = ring.items.length;
  const k = Math.max(0, Math.min(n, len));
  const out = new Array<T>(k);
  // The newest entry sits just before `start` (or at the end while the ring is not full).
  for (let i = 0; i < k; i++) out[i] = ring.items[(ring.start + len - k + i) % len]!;
  return out;
}

export function copyRing<T>(ring: Ring<T>): Ring<T> {
  return { capacity: ring.capacity, items: ring.items.slice(), start: ring.start, total: ring.total };
}

/**
 * Count `total` pushes of which only the newest are given (oldest first): all of them, or at
 * least `capacity`, so the ring ends as if every one had been pushed.
 */
export function ringPushNewest<T>(ring: Ring<T>, total: number, newest: T[], laterPushesCover = false): void {
  // Fewer than the ring holds only when the caller knows later pushes will overwrite the rest.
  if (!laterPushesCover && newest.length < Math.min(total, ring.capacity)) throw new Error('engine bug: too few of the newest items for the ring');
  ring.total += total - newest.length;
  for (const item of newest) ringPush(ring, item);
}
