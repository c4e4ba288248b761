/**
 * For tests: a FIFO, and a rescue in case the code under test opens it blocking. A shell opens
 * the other end after a while, so a blocking open returns (and the test fails on what it got)
 * instead of hanging the run. When the code is right the rescue plays no part; `killRescues`
 * ends it (its process group: the shell and its sleep).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

const rescues: ChildProcess[] = [];

/** Makes a FIFO at `path`; `otherEnd` is the end the rescue opens: the one the code does not. */
export function fifoWithRescue(path: string, otherEnd: 'read' | 'write'): string {
  execFileSync('mkfifo', [path]);
  const child = spawn('sh', ['-c', `sleep 10; exec 3${otherEnd === 'write' ? '>' : '<'}"$0"`, path], { detached: true, stdio: 'ignore' });
  rescues.push(child);
  return path;
}

export function killRescues(): void {
  for (const child of rescues.splice(0)) {
    if (child.pid === undefined || child.exitCode !== null) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}
