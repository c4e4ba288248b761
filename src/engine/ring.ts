/**
 * A bounded ring buffer: the log and the findings keep their newest entries, so memory stays
 * flat however long a session runs.
 */
export class Ring<T> {
  private items: T[] = [];
  private start = 0;
  /** How many were ever pushed, including those that fell off. */
  total = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.total++;
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /**
   * Count `total` pushes of which only the newest are given (oldest first): all of them, or at
   * least `capacity`, so the ring ends as if every one had been pushed.
   */
  pushNewest(total: number, newest: T[]): void {
    if (newest.length < Math.min(total, this.capacity)) throw new Error('engine bug: too few of the newest items for the ring');
    this.total += total - newest.length;
    for (const item of newest) this.push(item);
  }

  get length(): number {
    return this.items.length;
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  /** The newest `n`, oldest first. */
  last(n: number): T[] {
    const all = this.toArray();
    return all.slice(Math.max(0, all.length - n));
  }
}
