/**
 * For tests: the whole command line run in-process (`main`), its two streams captured, no
 * terminal, `NO_COLOR` set.
 */
import { type Io, main } from './main.js';

export async function pmuplay(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: { write: (t) => void (out += t) }, stderr: { write: (t) => void (err += t) }, stdinIsTTY: false, stdoutIsTTY: false, env: { NO_COLOR: '1' } };
  const code = await main(args, io);
  return { code, out, err };
}
