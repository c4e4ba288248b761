/**
 * A newc cpio archive (the initramfs format the kernel unpacks into rootfs) of a few files,
 * written here so no cpio tool is needed. The kernel's built-in initramfs already gives
 * /dev/console; ours adds /proc (mounted by init) and the programs.
 */

export interface CpioEntry {
  name: string;
  /** Full st_mode: 0o040755 a directory, 0o100755 an executable. */
  mode: number;
  data?: Uint8Array;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

export function newcArchive(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const all = [...entries, { name: 'TRAILER!!!', mode: 0 }];
  all.forEach((e, i) => {
    const data = e.data ?? new Uint8Array(0);
    const name = new TextEncoder().encode(e.name + '\0');
    // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    const fields = [i + 1, e.mode, 0, 0, e.mode & 0o040000 ? 2 : 1, 0, data.length, 0, 0, 0, 0, name.length, 0];
    const header = new TextEncoder().encode('070701' + fields.map(hex8).join(''));
    parts.push(header, name, new Uint8Array(pad4(header.length + name.length)), data, new Uint8Array(pad4(data.length)));
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
