#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kubectl and etcd from their official upstream
# Go module sources into a cache keyed by version. Only the first run pays for the build; later
# runs print the cache directory and exit. No Go code of ours beyond this build glue.
#
#   scripts/build-kube.sh            # build what is missing, print the bin directory
#   KUBE_VERSION=1.34.4 ETCD_VERSION=3.6.5 scripts/build-kube.sh
#
# Environment: PLATFORMCTL_KUBE_CACHE (default ~/.cache/platformctl/kube), KUBE_VERSION,
# ETCD_VERSION, KUBE_BUILD_COMPONENTS (default "etcd kube-apiserver kubectl kube-controller-manager").
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-3.6.5}"
CACHE_ROOT="${PLATFORMCTL_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/platformctl/kube}"
BIN_DIR="$CACHE_ROOT/k8s-v$KUBE_VERSION-etcd-v$ETCD_VERSION/bin"
COMPONENTS="${KUBE_BUILD_COMPONENTS:-etcd kube-apiserver kubectl kube-controller-manager}"
STAGING_MINOR="0.${KUBE_VERSION#1.}"   # 1.34.4 -> 0.34.4 (the staging modules' release tags)

log() { echo "build-kube: $*" >&2; }

missing=()
for component in $COMPONENTS; do
  [[ -x "$BIN_DIR/$component" ]] || missing+=("$component")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || { log "go is not installed; it is needed once to build ${missing[*]}"; exit 1; }
mkdir -p "$BIN_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/platformctl-kube-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export GOFLAGS="${GOFLAGS:-} -trimpath -mod=mod"
export GOTOOLCHAIN=local CGO_ENABLED=0

build_kubernetes() {
  local module="$WORK/kubernetes"
  mkdir -p "$module"
  log "downloading k8s.io/kubernetes v$KUBE_VERSION (module source)"
  # k8s.io/kubernetes points every staging module at ./staging/src/...; as a dependency those
  # must be the published v0.x releases of the same tag.
  local download upstream_gomod
  if ! download="$(cd "$module" && go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" 2>&1)"; then
    log "could not download k8s.io/kubernetes@v$KUBE_VERSION (is KUBE_VERSION a released version, and the Go module proxy reachable?):"
    echo "$download" >&2
    exit 1
  fi
  upstream_gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$download")"
  [[ -f "$upstream_gomod" ]] || { log "no go.mod in the download of k8s.io/kubernetes@v$KUBE_VERSION:"; echo "$download" >&2; exit 1; }
  {
    echo "module platformctl.local/kubebuild"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream_gomod")"
    echo
    echo "require k8s.io/kubernetes v$KUBE_VERSION"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/[a-z0-9-]*$#\t\1 => \1 v'"$STAGING_MINOR"'#p' "$upstream_gomod"
    echo ")"
  } > "$module/go.mod"
  cat > "$module/tools.go" <<'GO'
//go:build tools

package kubebuild

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$module" && go mod tidy -e >/dev/null 2>"$WORK/tidy.log") || { cat "$WORK/tidy.log" >&2; exit 1; }
  local commit build_date ldflags=""
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  commit="$(cd "$module" && go list -m -json "k8s.io/kubernetes" | sed -n 's/.*"Version": "\(.*\)".*/\1/p' | head -1)"
  local minor="${KUBE_VERSION#1.}"; minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=v$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit=$commit"
  done
  for component in kube-apiserver kubectl kube-controller-manager; do
    [[ " ${missing[*]} " == *" $component "* ]] || continue
    log "building $component v$KUBE_VERSION (several minutes on 2 cores the first time)"
    (cd "$module" && go build -ldflags "-s -w $ldflags" -o "$BIN_DIR/$component.tmp" "k8s.io/kubernetes/cmd/$component")
    mv "$BIN_DIR/$component.tmp" "$BIN_DIR/$component"
  done
}

build_etcd() {
  local module="$WORK/etcd"
  mkdir -p "$module"
  log "building etcd v$ETCD_VERSION"
  cat > "$module/go.mod" <<GOMOD
module platformctl.local/etcdbuild

go 1.24

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
GOMOD
  # etcd's own main package (server/main.go) calls etcdmain.Main; this is the same, as a
  # module of ours, because `go install` refuses etcd's replace directives.
  cat > "$module/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$module" && go mod tidy >/dev/null 2>"$WORK/etcd-tidy.log") || { cat "$WORK/etcd-tidy.log" >&2; exit 1; }
  (cd "$module" && go build -ldflags "-s -w" -o "$BIN_DIR/etcd.tmp" .)
  mv "$BIN_DIR/etcd.tmp" "$BIN_DIR/etcd"
}

start=$SECONDS
if [[ " ${missing[*]} " == *" etcd "* ]]; then build_etcd; fi
for component in kube-apiserver kubectl kube-controller-manager; do
  if [[ " ${missing[*]} " == *" $component "* ]]; then build_kubernetes; break; fi
done
log "built ${missing[*]} in $((SECONDS - start)) s into $BIN_DIR"
echo "$BIN_DIR"
