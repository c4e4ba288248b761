/**
 * The world a newcomer sees first: two threads sharing an mm (CPUs 0 and 1), an unrelated
 * process (CPU 2), an AArch32 program queued on CPU 0, CPU 3 idle, and one user-readable event
 * open but not yet mapped.
 */
export const starterLines = [
  'spawn app on 0',
  'thread 100 on 1',
  'spawn other on 2',
  'spawn legacy aarch32 on 0',
  'open 100 cycles user',
  'switch 0 100',
];

export const starterCaption = 'Task 100 has a cycles event open (fd 3). Type  :mmap 100 3  and watch CPU 2, where an unrelated process runs.';
