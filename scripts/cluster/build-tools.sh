#!/usr/bin/env bash
# Builds the Go tools the cluster tests use besides the control plane, from Go modules, into the
# control plane's bin directory (so test:cluster's PATH has them): helm (helm.sh/helm/v4, for the
# chart's install/upgrade/uninstall test), promtool (github.com/prometheus/prometheus, for
# `promtool test rules` on the chart's alerts) and the prometheus server from the same module (the
# Prometheus health gate's client is tested against it). build.sh calls it last. A binary whose module
# version already matches is not rebuilt (about a second warm); each cold build is a few minutes.
#
# Usage: build-tools.sh BIN_DIR. Environment: HELM_VERSION, PROMETHEUS_VERSION override the pins
# in versions.env; EVERYNODE_SKIP_TOOLS=1 skips them all (a control-plane-only build).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pins() { sed -n "s/^$1=//p" "$HERE/versions.env"; }
HELM_VERSION=${HELM_VERSION:-$(pins HELM_VERSION)}
PROMETHEUS_VERSION=${PROMETHEUS_VERSION:-$(pins PROMETHEUS_VERSION)}
BIN=${1:?usage: build-tools.sh BIN_DIR}
mkdir -p "$BIN"

[ "${EVERYNODE_SKIP_TOOLS:-}" = 1 ] && exit 0

# The same rules as build.sh: the local toolchain only, static binaries, gentle on 2 cores.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export CGO_ENABLED=0
export GOFLAGS="-p=2 -buildvcs=false"
NICE=(nice -n 10)

log() { printf '[build %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# mod_ok BINARY MODULE VERSION: true when BINARY was built from MODULE at VERSION.
# The output is read whole before it is searched: under pipefail, `go version -m | grep -q` fails
# when grep exits at the first match and go dies of SIGPIPE writing the rest.
mod_ok() {
  local out
  [ -x "$1" ] && out=$(go version -m "$1" 2>/dev/null) && grep -qE "^\s+mod\s+$2\s+$3(\s|$)" <<<"$out"
}

# ---------------------------------------------------------------- helm
# The version variables are what helm's Makefile sets for a release build; without them
# `helm version` says v4.x-unreleased.
if ! mod_ok "$BIN/helm" helm.sh/helm/v4 "$HELM_VERSION"; then
  t0=$(date +%s)
  log "building helm $HELM_VERSION"
  HV=helm.sh/helm/v4/internal/version
  GOBIN=$BIN "${NICE[@]}" go install -trimpath \
    -ldflags="-s -w -X $HV.version=$HELM_VERSION -X $HV.metadata= -X $HV.gitTreeState=clean" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  log "built helm in $(($(date +%s) - t0))s"
else
  log "helm $HELM_VERSION present"
fi

# ---------------------------------------------------------------- promtool
# Module v0.X.Y is Prometheus release v3.X/100.Y (v0.316.0 = 3.16.0): the version promtool prints.
# remove_all_sd leaves out the service-discovery plugins (cloud SDKs: most of the build), which
# `promtool test rules` and `check rules` never use; file and http SD stay.
if ! mod_ok "$BIN/promtool" github.com/prometheus/prometheus "$PROMETHEUS_VERSION"; then
  t0=$(date +%s)
  log "building promtool $PROMETHEUS_VERSION"
  minor=${PROMETHEUS_VERSION#v0.}
  release="$((10#${minor%%.*} / 100)).$((10#${minor%%.*} % 100)).${minor#*.}"
  PV=github.com/prometheus/common/version
  GOBIN=$BIN "${NICE[@]}" go install -trimpath -tags=remove_all_sd \
    -ldflags="-s -w -X $PV.Version=$release -X $PV.Branch=release -X $PV.Revision=module" \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
  log "built promtool in $(($(date +%s) - t0))s"
else
  log "promtool $PROMETHEUS_VERSION present"
fi

# ---------------------------------------------------------------- prometheus
# The server, for test/prometheus (the health gate's client against a real /api/v1/query). Same
# module, version and tag as promtool, so the two share most of the build cache. Built without
# the builtinassets tag: the web UI's assets are not embedded (the UI pages answer with an error),
# and the HTTP API, which is all the test uses, does not need them.
if ! mod_ok "$BIN/prometheus" github.com/prometheus/prometheus "$PROMETHEUS_VERSION"; then
  t0=$(date +%s)
  log "building prometheus $PROMETHEUS_VERSION"
  minor=${PROMETHEUS_VERSION#v0.}
  release="$((10#${minor%%.*} / 100)).$((10#${minor%%.*} % 100)).${minor#*.}"
  PV=github.com/prometheus/common/version
  GOBIN=$BIN "${NICE[@]}" go install -trimpath -tags=remove_all_sd \
    -ldflags="-s -w -X $PV.Version=$release -X $PV.Branch=release -X $PV.Revision=module" \
    "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION"
  log "built prometheus in $(($(date +%s) - t0))s"
else
  log "prometheus $PROMETHEUS_VERSION present"
fi
