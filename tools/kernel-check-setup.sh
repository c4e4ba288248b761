#!/usr/bin/env bash
# Installs what `pmuplay kernel-check` needs, from Debian's archive only, and unpacks Debian's
# arm64 Linux 6.1 kernel package into the cache (.cache/kernel-check/linux, or
# $PMUPLAY_KERNEL_CHECK_DIR/linux). Idempotent: what is already there is left alone, and apt
# is not touched when nothing is missing. Run as root on Debian 12 (bookworm).
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${PMUPLAY_KERNEL_CHECK_DIR:-$PWD/.cache/kernel-check}"

need=()
command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.a ] || need+=(libc6-dev-arm64-cross)
command -v arm-linux-gnueabihf-gcc >/dev/null || need+=(gcc-arm-linux-gnueabihf)
[ -e /usr/arm-linux-gnueabihf/lib/libc.a ] || need+=(libc6-dev-armhf-cross)
# Not for kernel-check itself: its initramfs test reads the archive back with cpio.
command -v cpio >/dev/null || need+=(cpio)
kernel_missing=1
ls "$cache"/linux/boot/vmlinuz-6.1.*-arm64 >/dev/null 2>&1 && kernel_missing=0

if [ ${#need[@]} -eq 0 ] && [ $kernel_missing -eq 0 ]; then
  echo "kernel-check: everything is in place ($(ls "$cache"/linux/boot/vmlinuz-6.1.*-arm64))"
  exit 0
fi

if [ $kernel_missing -eq 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
if [ ${#need[@]} -gt 0 ] || [ $kernel_missing -eq 1 ]; then
  apt-get update -qq
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "kernel-check: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ $kernel_missing -eq 1 ]; then
  # The metapackage names the current 6.1 ABI's image: linux-image-6.1.0-NN-arm64.
  pkg=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/^ *Depends: \(linux-image-6\.1\.[0-9]*-[0-9]*-arm64\).*/\1/p' | head -1)
  if [ -z "$pkg" ]; then
    echo "kernel-check: apt knows no linux-image-6.1…-arm64 (is this Debian 12 with its archive reachable?)" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq "$pkg:arm64" 2>/dev/null)
  mkdir -p "$cache/linux"
  dpkg-deb -x "$tmp"/"$pkg"_*_arm64.deb "$cache/linux"
  rm -rf "$tmp"
  echo "kernel-check: unpacked $pkg into $cache/linux"
fi
