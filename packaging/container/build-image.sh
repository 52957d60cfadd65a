#!/bin/sh
# Builds the vitals image without a container daemon (buildah, as root, with its own storage
# under a temporary directory): the same image as the Containerfile's last stage, from an
# existing binary. Writes an OCI archive (podman load -i / skopeo copy oci-archive:...).
# usage: packaging/container/build-image.sh BINARY OUTPUT.tar [TAG]
set -eu
bin=$1
out=$2
tag=${3:-localhost/vitals:latest}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs rm --all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
bah() { buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs "$@"; }
"$here/rootfs.sh" "$bin" "$work/rootfs"
c=$(bah from scratch)
bah copy "$c" "$work/rootfs/" / >/dev/null
bah config --user 65534:65534 --port 9100/tcp --port 4318/tcp --port 9411/tcp \
	--entrypoint '["/usr/bin/vitals"]' \
	--cmd '--path.procfs=/host/proc --path.sysfs=/host/sys --path.rootfs=/host/root' \
	--label org.opencontainers.image.title=vitals "$c"
rm -f "$out"
bah commit --quiet --format oci --disable-compression=false "$c" "oci-archive:$out:$tag" >/dev/null
