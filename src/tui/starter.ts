/**
 * The world a newcomer sees first: two threads sharing an mm (CPUs 0 and 1), an unrelated
 * process (CPU 2), an AArch32 program queued on CPU 0, CPU 3 idle, and one user-readable event
 * open but not yet mapped. And the hint that walks them through it, one step at a time: map
 * the page, see the leak, ask why, unmap it, compare another design. The hint reads the world
 * (what is mapped, who has access, what the monitor found) and what the user has done, so it
 * follows a step back too.
 */
import { commandWords } from '../engine/commands-spec.js';
import { designOf } from '../engine/designs/index.js';
import type { World } from '../engine/world.js';

export const starterLines = [
  'spawn app on 0',
  'thread 100 on 1',
  'spawn other on 2',
  'spawn legacy aarch32 on 0',
  'open 100 cycles user',
  'switch 0 100',
];

export const starterCaption = 'Task 100 has a cycles event open (fd 3). Type  :mmap 100 3  and watch CPU 2, where an unrelated process runs.';

/** What the user has done so far that the hint cannot read from the world. */
export interface GuideProgress {
  /** Asked the monitor: `check`, or `explain`/`why` where the language has them. */
  asked: boolean;
  /** Unmapped a user page (`munmap`). */
  unmapped: boolean;
}

/** `explain` is the command that says why; until the language has it, `check` lists findings. */
const askWhy = (commandWords as readonly string[]).includes('explain') ? 'Why? Type  :explain' : 'Type  :check  to list the findings';

function cpuList(ids: number[]): string {
  return ids.length === 1 ? `CPU ${ids[0]}` : `CPUs ${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}

/** The starter world's hint for where the user stands now. */
export function starterHint(world: World, done: GuideProgress): string {
  const design = designOf(world);
  let mapped = false;
  for (const ev of world.events.values()) if (ev.maps.length > 0) mapped = true;
  const granted = world.cpus.filter((c) => design.accessBits(c) !== 0);
  const other = (world.findingCounts.get('access/other-mm') ?? 0) > 0;
  const compare = design.name === 'v4' ? 'q, then  pmuplay --policy v5  (the respin)' : 'q, then  pmuplay --policy v4  (the patch under review)';
  if (!mapped && !done.unmapped) return starterCaption;
  if (mapped && !done.asked) {
    if (!other) return `Mapped, and no CPU outside the event's mm got access under ${design.name}. Now unmap it:  :munmap 100 3  — or see the leak: ${compare}.`;
    const leaking = granted.filter((c) => c.grant !== null && c.grant.forMm !== null && c.activeMm !== null && c.grant.forMm !== c.activeMm).map((c) => c.id);
    const where = leaking.length ? `${cpuList(leaking)} now let${leaking.length === 1 ? 's' : ''} another mm read mm1's counters` : "A CPU let another mm read mm1's counters";
    return `${where}: the red ! line in the log is the monitor's finding. ${askWhy}`;
  }
  if (mapped) return 'Now unmap the page:  :munmap 100 3  — the last unmap should take access away from every CPU that has it.';
  if (granted.length === 0) return `The last unmap took access away everywhere under ${design.name}. Compare: ${compare}.`;
  const ids = granted.map((c) => c.id);
  return `${cpuList(ids)} still allow${ids.length === 1 ? 's' : ''} counter reads after the last munmap (see the log). Compare: ${compare}.`;
}
