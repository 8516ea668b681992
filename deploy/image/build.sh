#!/usr/bin/env bash
# Builds syncgate's container image from the Containerfile with buildah and
# saves it as an OCI archive; `make image` runs it. No registry is needed:
# the build stage's base (deploy/image/Containerfile.builder) is made here
# from a static busybox and this machine's CA bundle, and the host's Go
# toolchain, module cache and build cache are mounted into it.
#
# Settings (environment): VERSION, REVISION (stamped and labelled), IMAGE
# (name:tag in buildah's storage), ARCHIVE (the OCI archive written), BUILDAH
# (the buildah command and its global flags), BUSYBOX, CA_BUNDLE, GO.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "image: $*" >&2; exit 1; }

GO=${GO:-go}
VERSION=${VERSION:-dev}
REVISION=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
tag=${VERSION//+/-} # an image tag cannot hold "+"
IMAGE=${IMAGE:-localhost/syncgate:$tag}
ARCHIVE=${ARCHIVE:-bin/syncgate-$tag.oci.tar}
BUSYBOX=${BUSYBOX:-/bin/busybox}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
read -r -a buildah <<<"${BUILDAH:-buildah --storage-driver vfs}"

command -v "${buildah[0]}" >/dev/null || die "${buildah[0]} is missing (Debian: apt-get install buildah)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing (Debian: apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked; the build stage needs a static one (Debian: apt-get install busybox-static)"
fi
[ -r "$CA_BUNDLE" ] || die "$CA_BUNDLE is missing (Debian: apt-get install ca-certificates)"

goroot=$("$GO" env GOROOT)
gomodcache=$("$GO" env GOMODCACHE)
gocache=$("$GO" env GOCACHE)
# The build stage runs with GOPROXY=off: every module comes from this cache,
# filled here from the module proxy when it lacks one.
"$GO" mod download

# The builder is named after what it is made of, so a changed CA bundle or
# busybox makes a new one and an unchanged one is reused.
builder_id=$(cat deploy/image/Containerfile.builder "$BUSYBOX" "$CA_BUNDLE" | sha256sum | cut -c1-12)
builder=localhost/syncgate-builder:$builder_id
if ! "${buildah[@]}" inspect --type image "$builder" >/dev/null 2>&1; then
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  cp "$BUSYBOX" "$context/busybox"
  cp "$CA_BUNDLE" "$context/ca-certificates.crt"
  "${buildah[@]}" bud --isolation chroot --quiet \
    -f deploy/image/Containerfile.builder -t "$builder" "$context" >/dev/null
fi

# File times and the image's creation time are the commit's, so the same
# commit builds the same layers.
created=$(git log -1 --format=%ct 2>/dev/null || date +%s)
"${buildah[@]}" bud --isolation chroot --pull=never --timestamp "$created" \
  --build-arg BUILDER_IMAGE="$builder" \
  --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" \
  --volume "$goroot:/usr/local/go:ro" \
  --volume "$gomodcache:/go/pkg/mod:ro" \
  --volume "$gocache:/root/.cache/go-build" \
  -f Containerfile -t "$IMAGE" .

mkdir -p "$(dirname "$ARCHIVE")"
rm -f "$ARCHIVE"
"${buildah[@]}" push --quiet "$IMAGE" "oci-archive:$ARCHIVE:$tag"
echo "image: $IMAGE, saved as $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
