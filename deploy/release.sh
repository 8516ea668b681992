#!/usr/bin/env bash
# Builds a release into OUT (`make release` runs it): for each of PLATFORMS
# (os/arch), syncgate_<version>_<os>_<arch>.tar.gz holding the static binary
# (stamped with VERSION) with LICENSE, README.md and CHANGELOG.md; the Helm
# chart packaged as syncgate-<version>.tgz with appVersion VERSION (the image
# tag); and SHA256SUMS over all of them (check with `sha256sum -c SHA256SUMS`).
# The binary archives carry the commit's time and no owner: nothing of who
# built them, or when.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "release: $*" >&2; exit 1; }

GO=${GO:-go}
VERSION=${VERSION:?set VERSION, a vX.Y.Z tag}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64}
OUT=${OUT:-bin/release/$VERSION}

[[ $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  die "version $VERSION is not a semantic version tag (vX.Y.Z, vX.Y.Z-rc.1): tag the commit first (git tag -a v0.1.0)"
[[ $VERSION != *-dirty ]] || die "version $VERSION: the work tree has uncommitted changes; a release is built from a commit"
semver=${VERSION#v}

epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for platform in $PLATFORMS; do
  os=${platform%/*} arch=${platform#*/}
  name=syncgate_${semver}_${os}_${arch}
  mkdir -p "$stage/$name"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$GO" build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=$VERSION" -o "$stage/$name/syncgate" ./cmd/syncgate
  cp LICENSE README.md CHANGELOG.md "$stage/$name/"
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    -C "$stage" -c "$name" | gzip -n > "$OUT/$name.tar.gz"
done

# helm is pinned in deploy/tools/go.mod (its own module, outside the
# deploy workspace).
GOWORK=off "$GO" -C deploy/tools tool helm package "$PWD/deploy/helm/syncgate" \
  --version "$semver" --app-version "$VERSION" --destination "$OUT" >/dev/null

(cd "$OUT" && sha256sum -- *.tar.gz *.tgz > SHA256SUMS)
echo "release $VERSION in $OUT:"
(cd "$OUT" && ls -l -- *)
