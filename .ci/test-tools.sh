#!/usr/bin/env bash
# Puts the real programs the live tests drive where they find them, as .ci/run does before
# `npm test`: Prometheus and Alertmanager (extracted from Debian's .debs into a cache dir, never
# installed or started as services) for test/e2e/alerts.live.test.ts, and Chromium (apt) for
# the status page's browser test, and ZooKeeper (apt: Debian's zookeeper, java) for the fleet
# tests. Prints the paths; writes them to $CACHE/test-tools.env for
# .ci/run to source. Idempotent; runs as root on Debian 12 with CI=true and no stdin.
set -euo pipefail

CACHE="${OIO_CI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/oio-repaird-ci}"
APT_ARCHIVES="${OIO_CI_APT_ARCHIVES:-/var/cache/apt/archives}"
export DEBIAN_FRONTEND=noninteractive

say() { printf '\n== %s\n' "$*"; }
run() { printf '+ %s\n' "$*"; "$@"; }
die() { printf '\nTEST TOOLS FAILED: %s\n' "$*" >&2; exit 1; }

APT_UPDATED=0
apt_update_once() {
  [[ $APT_UPDATED -eq 1 ]] && return 0
  run apt-get update -qq </dev/null
  APT_UPDATED=1
}

# Extracts Debian package $1 into $CACHE/$1 (dpkg-deb -x), unless $CACHE/$1/$2 already exists.
extract_deb() {
  local pkg="$1" probe="$2" deb
  [[ -x "$CACHE/$pkg/$probe" ]] && return 0
  mkdir -p "$CACHE/debs"
  deb="$(ls -1 "$CACHE"/debs/"${pkg}"_*.deb "$APT_ARCHIVES"/"${pkg}"_*.deb 2>/dev/null | tail -n 1 || true)"
  if [[ -z "$deb" ]]; then
    # `apt-get download` needs package lists: try as is, update only if that fails.
    (cd "$CACHE/debs" && run apt-get download -qq -o APT::Sandbox::User=root "$pkg" </dev/null) \
      || { apt_update_once && (cd "$CACHE/debs" && run apt-get download -qq -o APT::Sandbox::User=root "$pkg" </dev/null); } \
      || die "cannot download the $pkg .deb"
    deb="$(ls -1 "$CACHE"/debs/"${pkg}"_*.deb | tail -n 1)"
  fi
  rm -rf "$CACHE/$pkg.tmp"
  run dpkg-deb -x "$deb" "$CACHE/$pkg.tmp"
  rm -rf "${CACHE:?}/$pkg"
  mv "$CACHE/$pkg.tmp" "$CACHE/$pkg"
  [[ -x "$CACHE/$pkg/$probe" ]] || die "no $probe in $deb"
}

say "Prometheus and Alertmanager (Debian packages, extracted into $CACHE)"
extract_deb prometheus usr/bin/prometheus
extract_deb prometheus-alertmanager usr/bin/prometheus-alertmanager
PROMETHEUS="$CACHE/prometheus/usr/bin/prometheus"
ALERTMANAGER="$CACHE/prometheus-alertmanager/usr/bin/prometheus-alertmanager"
# Alertmanager 0.25 exits at start unless its templates are at this fixed path (no flag moves it).
TMPL_DIR=/usr/share/prometheus/alertmanager
if [[ ! -f "$TMPL_DIR/default.tmpl" || ! -f "$TMPL_DIR/email.tmpl" ]]; then
  run mkdir -p "$TMPL_DIR"
  run cp "$CACHE/prometheus-alertmanager$TMPL_DIR/default.tmpl" "$CACHE/prometheus-alertmanager$TMPL_DIR/email.tmpl" "$TMPL_DIR/" \
    || die "cannot copy Alertmanager's templates to $TMPL_DIR (it refuses to start without them)"
fi
printf '%s\n' "$("$PROMETHEUS" --version 2>&1 | head -n 1)" "$("$ALERTMANAGER" --version 2>&1 | head -n 1)"

say "Chromium (headless, for the status page test)"
CHROMIUM="${OIO_CHROMIUM:-$(command -v chromium || true)}"
if [[ -z "$CHROMIUM" ]]; then
  run apt-get install -y -qq --no-install-recommends chromium </dev/null \
    || { apt_update_once && run apt-get install -y -qq --no-install-recommends chromium </dev/null; } \
    || die "cannot install chromium"
  CHROMIUM="$(command -v chromium)" || die "chromium installed but not on PATH"
fi
"$CHROMIUM" --version 2>/dev/null || true

say "ZooKeeper (Debian's zookeeper package: jars only, the fleet tests start it as plain processes)"
ZK_JARS=/usr/share/java
if [[ ! -f "$ZK_JARS/zookeeper.jar" || ! -f "$ZK_JARS/zookeeper-jute.jar" || ! -f "$ZK_JARS/slf4j-simple.jar" ]]; then
  # Not zookeeperd: that is only the service wrapper, and nothing is run as a service here.
  run apt-get install -y -qq --no-install-recommends zookeeper libslf4j-java </dev/null \
    || { apt_update_once && run apt-get install -y -qq --no-install-recommends zookeeper libslf4j-java </dev/null; } \
    || die "cannot install zookeeper"
fi
[[ -x /usr/bin/java ]] || die "zookeeper installed but no /usr/bin/java"
ls "$ZK_JARS"/zookeeper-3*.jar 2>/dev/null | head -n 1

mkdir -p "$CACHE"
cat >"$CACHE/test-tools.env" <<ENV
export OIO_PROMETHEUS='$PROMETHEUS'
export OIO_ALERTMANAGER='$ALERTMANAGER'
export OIO_CHROMIUM='$CHROMIUM'
export OIO_ZOOKEEPER_JARS='$ZK_JARS'
ENV
say "test tools ready ($CACHE/test-tools.env)"
cat "$CACHE/test-tools.env"
