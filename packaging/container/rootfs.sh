#!/bin/sh
# Fills DEST with the smallest root filesystem that runs BINARY: the binary, exactly the shared
# libraries it loads (ldd) and its loader, at the paths the loader looks in; /etc/passwd and
# /etc/group naming the unprivileged user it runs as (nobody, 65534); the licences.
# usage: packaging/container/rootfs.sh BINARY DEST
# Used by the Containerfile's last stage and by build-image.sh (no container engine needed).
set -eu
bin=$1
dest=$2
here=$(cd "$(dirname "$0")" && pwd)
# /host/{proc,sys,root}: where the host's filesystems are mounted (read-only root: the
# mount points must exist in the image).
mkdir -p "$dest/usr/bin" "$dest/etc" "$dest/host/proc" "$dest/host/sys" "$dest/host/root" \
	"$dest/usr/share/doc/vitals"
cp "$bin" "$dest/usr/bin/vitals"
strip --strip-unneeded "$dest/usr/bin/vitals" 2>/dev/null || true
# "libfoo.so => /path (addr)" and the loader's own "/lib64/ld-linux-x86-64.so.2 (addr)".
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
	mkdir -p "$dest$(dirname "$lib")"
	cp -L "$lib" "$dest$lib"
done
printf 'root:x:0:0:root:/:/nonexistent\nnobody:x:65534:65534:nobody:/nonexistent:/nonexistent\n' \
	>"$dest/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$dest/etc/group"
cp "$here/../debian/copyright" "$dest/usr/share/doc/vitals/copyright"
