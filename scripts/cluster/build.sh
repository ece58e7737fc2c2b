#!/usr/bin/env bash
# Builds the real control plane used by the cluster tests from Go modules, into a cache outside
# the repo: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (k8s.io/kubernetes),
# etcd (go.etcd.io/etcd/server/v3) and kwok (sigs.k8s.io/kwok); then build-tools.sh adds helm and
# promtool. A binary whose version already matches is not rebuilt, so a warm run takes about a
# second.
# See docs/real-cluster.md and shared/design/real-cluster-harness.md.
#
# Prints the bin directory as its last line. Environment:
#   EVERYNODE_CACHE   cache root (default $HOME/.cache/everynode)
#   K8S_VERSION, ETCD_VERSION, KWOK_VERSION   override the pins in versions.env
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pins() { sed -n "s/^$1=//p" "$HERE/versions.env"; }
K8S_VERSION=${K8S_VERSION:-$(pins K8S_VERSION)}
ETCD_VERSION=${ETCD_VERSION:-$(pins ETCD_VERSION)}
KWOK_VERSION=${KWOK_VERSION:-$(pins KWOK_VERSION)}

CACHE=${EVERYNODE_CACHE:-$HOME/.cache/everynode}
ROOT=$CACHE/k8s-$K8S_VERSION
BIN=$ROOT/bin
mkdir -p "$BIN"

# Never fetch another toolchain; build static binaries like upstream; stay gentle on the shared
# 2-core machine (two compile jobs, lowered priority).
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export CGO_ENABLED=0
export GOFLAGS="-p=2 -buildvcs=false"
NICE=(nice -n 10)

log() { printf '[build %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
need() { command -v "$1" >/dev/null || { log "missing prerequisite: $1"; exit 1; }; }
need go

# has_version BINARY PATTERN ARGS...: true when BINARY exists and its version output contains PATTERN.
# The output is read whole before it is searched: under pipefail, `cmd | grep -q` fails when grep
# exits at the first match and cmd dies of SIGPIPE writing the rest (etcd was rebuilt for that).
has_version() {
  local bin=$1 pattern=$2 out
  shift 2
  [ -x "$bin" ] && out=$("$bin" "$@" 2>/dev/null) && grep -qF -- "$pattern" <<<"$out"
}

# The module's own go.mod, from the module cache (downloaded if needed).
gomod_of() { go mod download -json "$1" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p'; }

# Fails early, with a clear message, if a module needs a newer Go than the local toolchain.
check_go_line() {
  local gomod=$1 want have
  want=$(awk '$1 == "go" {print $2; exit}' "$gomod")
  have=$(go env GOVERSION | sed 's/^go//')
  if [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | tail -1)" != "$have" ]; then
    log "$gomod needs go $want but the local toolchain is go $have"
    exit 1
  fi
}

start=$(date +%s)

# ---------------------------------------------------------------- Kubernetes
K8S_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
missing=()
for b in "${K8S_BINS[@]}"; do
  if [ "$b" = kubectl ]; then
    has_version "$BIN/$b" "Client Version: $K8S_VERSION" version --client || missing+=("$b")
  else
    has_version "$BIN/$b" "Kubernetes $K8S_VERSION" --version || missing+=("$b")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  t0=$(date +%s)
  log "building ${missing[*]} $K8S_VERSION"
  MOD=$ROOT/k8s-mod
  mkdir -p "$MOD"
  cd "$MOD"
  GOMOD=$(gomod_of "k8s.io/kubernetes@$K8S_VERSION")
  check_go_line "$GOMOD"
  # Staging modules are required at the fake v0.0.0 upstream; each is published as v0.X.Y for
  # release v1.X.Y, so replace every one with that tag. Generated from the exact go.mod, never
  # hand-kept, so a version bump picks up added or removed staging modules.
  STG=v0${K8S_VERSION#v1}
  REPL=$(awk -v v="$STG" '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {printf "\t%s => %s %s\n", $1, $1, v}' "$GOMOD")
  # Keep upstream's go line so the GODEBUG defaults match upstream's `godebug default=go1.24`.
  GOLINE=$(awk '$1 == "go" {print $2; exit}' "$GOMOD")
  cat >go.mod <<GOMOD
module local/k8sbuild

go $GOLINE

require k8s.io/kubernetes $K8S_VERSION

replace (
$REPL
)

tool (
	k8s.io/kubernetes/cmd/kube-apiserver
	k8s.io/kubernetes/cmd/kube-controller-manager
	k8s.io/kubernetes/cmd/kube-scheduler
	k8s.io/kubernetes/cmd/kubectl
)
GOMOD
  rm -f go.sum
  "${NICE[@]}" go mod tidy
  MINOR=$(echo "$K8S_VERSION" | cut -d. -f2)
  BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  # Without these the binaries report v0.0.0-master, which confuses /version, kubectl's skew
  # check and the emulation-version logic.
  LDF="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    LDF="$LDF -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$MINOR"
    LDF="$LDF -X $p.gitTreeState=clean -X $p.buildDate=$BUILD_DATE"
  done
  pkgs=()
  for b in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  "${NICE[@]}" go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$LDF" -o "$BIN/" "${pkgs[@]}"
  log "built ${missing[*]} in $(($(date +%s) - t0))s"
else
  log "kubernetes $K8S_VERSION binaries present"
fi

# ---------------------------------------------------------------- etcd
if ! has_version "$BIN/etcd" "etcd Version: ${ETCD_VERSION#v}" --version; then
  t0=$(date +%s)
  log "building etcd $ETCD_VERSION"
  MOD=$ROOT/etcd-mod
  mkdir -p "$MOD"
  cd "$MOD"
  check_go_line "$(gomod_of "go.etcd.io/etcd/server/v3@$ETCD_VERSION")"
  # server/go.mod has replace directives, so `go install` refuses it; a consumer module ignores
  # them and resolves the sibling modules from their published tags.
  rm -f go.mod go.sum
  go mod init local/etcdbuild >/dev/null 2>&1
  "${NICE[@]}" go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  "${NICE[@]}" go build -trimpath -ldflags="-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
  log "built etcd in $(($(date +%s) - t0))s"
else
  log "etcd $ETCD_VERSION present"
fi

# ---------------------------------------------------------------- kwok
kwok_ok() {
  local out
  [ -x "$BIN/kwok" ] && out=$(go version -m "$BIN/kwok" 2>/dev/null) &&
    grep -qE "^\s+mod\s+sigs.k8s.io/kwok\s+$KWOK_VERSION\b" <<<"$out"
}
if ! kwok_ok; then
  t0=$(date +%s)
  log "building kwok $KWOK_VERSION"
  GOBIN=$BIN "${NICE[@]}" go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  log "built kwok in $(($(date +%s) - t0))s"
else
  log "kwok $KWOK_VERSION present"
fi

# kwok stages: the upstream "fast" set (nodes become Ready, pods Running/Ready, deleted pods go
# away) plus the lease-based heartbeat, assembled from the module just downloaded.
STAGES=$ROOT/kwok-stages.yaml
if [ ! -s "$STAGES" ]; then
  KS=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage
  [ -d "$KS" ] || go mod download "sigs.k8s.io/kwok@$KWOK_VERSION"
  tmp=$STAGES.tmp
  : >"$tmp"
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    cat "$KS/$f.yaml" >>"$tmp"
    printf '\n---\n' >>"$tmp"
  done
  mv "$tmp" "$STAGES"
fi

# ---------------------------------------------------------------- helm, promtool
# The chart's tests (install/upgrade/uninstall, promtool test rules) use these; same cache.
bash "$HERE/build-tools.sh" "$BIN"

log "all binaries ready in $BIN ($(($(date +%s) - start))s)"
echo "$BIN"
