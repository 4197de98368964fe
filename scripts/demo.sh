#!/usr/bin/env bash
# The main job on the embedded default store: make a small busybox root filesystem tarball,
# import it as an image, and list images.
set -euo pipefail
cd "$(dirname "$0")/.."
berth() { node dist/src/bin/berth.js "$@"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for app in sh ls cat echo mkdir rm true false env; do ln -s busybox "$work/rootfs/bin/$app"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
tar -C "$work/rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/rootfs.tar" .

berth import -c 'CMD ["/bin/sh"]' -m 'busybox from berth demo' "$work/rootfs.tar" demo/busybox:latest
berth images
berth history demo/busybox:latest
