#!/usr/bin/env bash
# Checks the deploy/ artefacts with the real tools, as .ci/run does after the unit tests:
#   promtool check rules + promtool test rules   (deploy/prometheus)
#   systemd-analyze verify + security --offline  (deploy/systemd; exposure must stay <= 2.0)
# Runs as root on Debian 12 with CI=true and no stdin; idempotent (promtool is extracted once
# into a cache dir, never installed as a service). Exits non-zero, loudly, on the first failure.
# The vitest side (test/deploy/*.test.ts) is run by .ci/run with the rest of the suite.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OIO_CI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/oio-repaird-ci}"
APT_ARCHIVES="${OIO_CI_APT_ARCHIVES:-/var/cache/apt/archives}"
SECURITY_THRESHOLD="${OIO_SECURITY_THRESHOLD:-20}"   # x10: 20 means exposure <= 2.0
export DEBIAN_FRONTEND=noninteractive

say() { printf '\n== %s\n' "$*"; }
run() { printf '+ %s\n' "$*"; "$@"; }
die() { printf '\nDEPLOY CHECKS FAILED: %s\n' "$*" >&2; exit 1; }

# --- promtool ------------------------------------------------------------------------------------
# Debian 12's `prometheus` package ships /usr/bin/promtool; we only extract the .deb (dpkg-deb -x)
# so CI never installs, enables or starts a Prometheus server.
find_promtool() {
  if [[ -n "${PROMTOOL:-}" ]]; then printf '%s\n' "$PROMTOOL"; return; fi
  if command -v promtool >/dev/null 2>&1; then command -v promtool; return; fi
  if [[ -x "$CACHE/prometheus/usr/bin/promtool" ]]; then printf '%s\n' "$CACHE/prometheus/usr/bin/promtool"; return; fi
  return 1
}

# Sets DEB to a prometheus_*.deb, downloading it into the cache only when none is at hand.
DEB=""
fetch_prometheus_deb() {
  mkdir -p "$CACHE/debs"
  DEB="$(ls -1 "$CACHE"/debs/prometheus_*.deb 2>/dev/null | tail -n 1 || true)"
  # A .deb apt already downloaded on this machine saves a network round trip.
  [[ -n "$DEB" ]] || DEB="$(ls -1 "$APT_ARCHIVES"/prometheus_*.deb 2>/dev/null | tail -n 1 || true)"
  [[ -z "$DEB" ]] || return 0
  # `apt-get download` writes to the current directory; it needs package lists, so try once
  # as is and run `apt-get update` only if that fails (a fresh machine may have none).
  if ! (cd "$CACHE/debs" && run apt-get download -qq -o APT::Sandbox::User=root prometheus </dev/null); then
    run apt-get update -qq </dev/null
    (cd "$CACHE/debs" && run apt-get download -qq -o APT::Sandbox::User=root prometheus </dev/null) || return 1
  fi
  DEB="$(ls -1 "$CACHE"/debs/prometheus_*.deb 2>/dev/null | tail -n 1 || true)"
  [[ -n "$DEB" ]]
}

ensure_promtool() {
  if PROMTOOL="$(find_promtool)"; then return; fi
  say "promtool not found: extracting it from Debian's prometheus package into $CACHE"
  fetch_prometheus_deb || die "could not download the prometheus .deb"
  rm -rf "$CACHE/prometheus.tmp"
  run dpkg-deb -x "$DEB" "$CACHE/prometheus.tmp"
  rm -rf "$CACHE/prometheus"
  mv "$CACHE/prometheus.tmp" "$CACHE/prometheus"
  PROMTOOL="$(find_promtool)" || die "no usr/bin/promtool in $DEB"
}

# --- systemd -------------------------------------------------------------------------------------
ensure_systemd_analyze() {
  command -v systemd-analyze >/dev/null 2>&1 && return
  say "systemd-analyze not found: installing systemd (no services are started in CI)"
  run apt-get install -y -qq --no-install-recommends systemd </dev/null \
    || { run apt-get update -qq </dev/null && run apt-get install -y -qq --no-install-recommends systemd </dev/null; } \
    || die "cannot install systemd-analyze"
}

# `systemd-analyze verify` refuses a unit whose Exec*= binary is missing. The unit says
# /usr/bin/node (Debian and NodeSource packages); where node lives elsewhere (nvm, a tarball
# in /usr/local) the copy checked here points at that node instead, which changes nothing else.
# The daemon's own dist/main.js is only an argument, so it need not exist.
UNIT_DIR=""
prepare_unit_copy() {
  local node
  UNIT_DIR="$(mktemp -d "${TMPDIR:-/tmp}/oio-repaird-unit.XXXXXX")"
  trap 'rm -rf "$UNIT_DIR"' EXIT
  cp "$ROOT/deploy/systemd/oio-repaird.service" "$UNIT_DIR/"
  if [[ ! -x /usr/bin/node ]]; then
    node="$(command -v node || true)"
    [[ -n "$node" ]] || die "no node binary on this machine: systemd-analyze verify needs one for ExecStart="
    echo "note: /usr/bin/node is missing; verifying a copy of the unit that runs $node"
    sed -i "s#/usr/bin/node #$node #g" "$UNIT_DIR/oio-repaird.service"
  fi
  # The drop-in example with every setting uncommented, to prove the example is valid too.
  mkdir -p "$UNIT_DIR/with-dropin/oio-repaird.service.d"
  cp "$UNIT_DIR/oio-repaird.service" "$UNIT_DIR/with-dropin/"
  sed -E 's/^#([A-Z][A-Za-z]+=)/\1/; s#/usr/local/bin/node #'"$(sed -n 's#^ExecStart=\([^ ]*\) .*#\1#p' "$UNIT_DIR/oio-repaird.service")"' #' \
    "$ROOT/deploy/systemd/oio-repaird.service.d/override.conf.example" \
    > "$UNIT_DIR/with-dropin/oio-repaird.service.d/override.conf"
}

# verify exits 0 on unknown keys and unparsable values (it only warns), so any output is a failure.
verify_unit() {
  local dir="$1" out
  printf '+ (cd %s && SYSTEMD_UNIT_PATH=%s: systemd-analyze verify oio-repaird.service)\n' "$dir" "$dir"
  if ! out="$(cd "$dir" && SYSTEMD_UNIT_PATH="$dir:" systemd-analyze verify oio-repaird.service 2>&1)"; then
    printf '%s\n' "$out"; die "systemd-analyze verify rejected the unit in $dir"
  fi
  if [[ -n "$out" ]]; then printf '%s\n' "$out"; die "systemd-analyze verify printed warnings for the unit in $dir"; fi
  echo "verify: no warnings"
}

security_unit() {
  local dir="$1" out rc=0
  printf '+ (cd %s && SYSTEMD_UNIT_PATH=%s: systemd-analyze security --offline=true --threshold=%s oio-repaird.service)\n' \
    "$dir" "$dir" "$SECURITY_THRESHOLD"
  out="$(cd "$dir" && SYSTEMD_UNIT_PATH="$dir:" systemd-analyze security --offline=true \
    --threshold="$SECURITY_THRESHOLD" oio-repaird.service 2>&1)" || rc=$?
  printf '%s\n' "$out" | grep -E '^✗' || true      # what is still exposed, for the record
  printf '%s\n' "$out" | grep -F 'Overall exposure level' || die "no exposure level in the output"
  [[ $rc -eq 0 ]] || die "exposure above $((SECURITY_THRESHOLD / 10)).$((SECURITY_THRESHOLD % 10)) (systemd-analyze exit $rc)"
}

# --- main ----------------------------------------------------------------------------------------
cd "$ROOT"

say "promtool"
ensure_promtool
printf '+ %s --version\n' "$PROMTOOL"; v="$("$PROMTOOL" --version 2>&1)"; printf '%s\n' "${v%%$'\n'*}"
say "promtool check rules"
run "$PROMTOOL" check rules deploy/prometheus/oio-repaird.rules.yml || die "promtool check rules"
say "promtool test rules"
# rule_files in the test file are relative to it: run from its directory.
(cd deploy/prometheus && run "$PROMTOOL" test rules oio-repaird.rules.test.yml) || die "promtool test rules"

say "systemd unit"
ensure_systemd_analyze
printf '+ systemd-analyze --version\n'; v="$(systemd-analyze --version)"; printf '%s\n' "${v%%$'\n'*}"
prepare_unit_copy
verify_unit "$UNIT_DIR"
security_unit "$UNIT_DIR"
say "systemd unit with the drop-in example applied"
verify_unit "$UNIT_DIR/with-dropin"
security_unit "$UNIT_DIR/with-dropin"

say "deploy checks passed"
