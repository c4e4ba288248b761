/**
 * What kernel-check needs on the host, each with the Debian package that provides it, and the
 * arm64 Linux 6.1 kernel (Debian's linux-image-6.1…-arm64, unpacked under the cache directory
 * by tools/kernel-check-setup.sh). A missing piece is named with its package, never guessed
 * around.
 */
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Tool {
  what: string;
  /** An executable on PATH, or an absolute file. */
  file: string;
  pkg: string;
}

export const tools = {
  qemu: { what: 'QEMU for arm64 guests', file: 'qemu-system-aarch64', pkg: 'qemu-system-arm' },
  gcc64: { what: 'the arm64 C compiler', file: 'aarch64-linux-gnu-gcc', pkg: 'gcc-aarch64-linux-gnu' },
  libc64: { what: 'the arm64 static C library', file: '/usr/aarch64-linux-gnu/lib/libc.a', pkg: 'libc6-dev-arm64-cross' },
  gcc32: { what: 'the AArch32 (armhf) C compiler, for exec32', file: 'arm-linux-gnueabihf-gcc', pkg: 'gcc-arm-linux-gnueabihf' },
  libc32: { what: 'the armhf static C library, for exec32', file: '/usr/arm-linux-gnueabihf/lib/libc.a', pkg: 'libc6-dev-armhf-cross' },
} as const satisfies Record<string, Tool>;

export type ToolName = keyof typeof tools;

/** The executable's full path, or null when it is not there. */
export function findTool(t: Tool, path = process.env['PATH'] ?? ''): string | null {
  if (t.file.startsWith('/')) return existsSync(t.file) ? t.file : null;
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, t.file))) return join(dir, t.file);
  }
  return null;
}

/** The cache directory: built programs, archives, and the unpacked kernel package. */
export function cacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env['PMUPLAY_KERNEL_CHECK_DIR'] ?? join(process.cwd(), '.cache', 'kernel-check');
}

export const kernelPackage = 'linux-image-6.1.0-NN-arm64 (arm64)';

/** Debian's arm64 6.1 kernel image: unpacked in the cache, or installed in /boot on an arm64 host. */
export function findKernel(cache: string): string | null {
  for (const dir of [join(cache, 'linux', 'boot'), '/boot']) {
    if (!existsSync(dir)) continue;
    const images = readdirSync(dir).filter((f) => /^vmlinuz-6\.1\.\d+-\d+-arm64$/.test(f)).sort();
    if (images.length > 0) return join(dir, images[images.length - 1]!);
  }
  return null;
}

/** Every missing piece, as lines naming the package; empty when all is there. */
export function missing(need: readonly ToolName[], cache: string, wantKernel: boolean): string[] {
  const lines: string[] = [];
  for (const name of need) {
    const t = tools[name];
    if (!findTool(t)) lines.push(`${t.what} (${t.file}) is missing: install the Debian package ${t.pkg}`);
  }
  if (wantKernel && !findKernel(cache)) {
    lines.push(`no arm64 Linux 6.1 kernel in ${join(cache, 'linux', 'boot')}: unpack the Debian package ${kernelPackage} there (tools/kernel-check-setup.sh does it: apt-get download linux-image-6.1.0-NN-arm64:arm64, dpkg-deb -x)`);
  }
  return lines;
}
