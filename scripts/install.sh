#!/usr/bin/env bash
# Sets up everything berth and its test suite need on a fresh Debian 12 machine (run as root):
# system packages, npm dependencies (native addons compile here), the build, and `berth` on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(busybox-static skopeo docker-registry docker.io crun runc xz-utils bzip2 zstd apache2-utils openssl iproute2 git ca-certificates time qemu-user-static binfmt-support)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: missing packages (${missing[*]}); run as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Packages may start services; berth's tests start their own registries and Docker engine.
  for svc in docker-registry docker containerd; do systemctl disable --now "$svc" >/dev/null 2>&1 || true; done
  pkill -f '/usr/bin/docker-registry serve /etc/docker/registry' 2>/dev/null || true
fi

if [ "$(id -u)" -eq 0 ]; then
  # Multi-platform builds run foreign RUN steps through qemu user emulation: binfmt_misc must be
  # mounted and qemu-user-static's handlers registered (packages register them only when it is).
  binfmt=/proc/sys/fs/binfmt_misc
  [ -e "$binfmt/status" ] || mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null || true
  if [ -e "$binfmt/status" ] && [ ! -e "$binfmt/qemu-aarch64" ]; then update-binfmts --enable >/dev/null 2>&1 || true; fi
  # Debian's arm64 busybox-static, the base of the multi-platform build tests' arm64 images.
  arm64_busybox=/var/cache/berth/busybox.arm64
  if [ ! -s "$arm64_busybox" ]; then
    added=
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then dpkg --add-architecture arm64; added=1; fi
    tmp=$(mktemp -d)
    if apt-get update -qq && (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root busybox-static:arm64 >/dev/null); then
      mkdir -p "$(dirname "$arm64_busybox")"
      dpkg-deb --fsys-tarfile "$tmp"/busybox-static_*_arm64.deb | tar -xO ./bin/busybox > "$arm64_busybox.tmp"
      chmod 755 "$arm64_busybox.tmp" && mv "$arm64_busybox.tmp" "$arm64_busybox"
    fi
    rm -rf "$tmp"
    if [ -n "$added" ]; then dpkg --remove-architecture arm64 2>/dev/null && apt-get update -qq || true; fi
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent

bin=/usr/local/bin/berth
if [ "$(id -u)" -eq 0 ] && [ "$(readlink -f "$bin" 2>/dev/null)" != "$PWD/dist/src/bin/berth.js" ]; then
  ln -sf "$PWD/dist/src/bin/berth.js" "$bin"
fi
chmod +x dist/src/bin/berth.js
