#!/usr/bin/env bash
# Install (when missing and we are root) and start what the test suite needs beyond
# Python: a PostgreSQL server (Debian's package) for the results store's tests and
# Debian's Chromium for the dashboard's browser tests.
#
# Prints shell assignments for the variables the tests read, e.g.
#   CHIPSTRESS_TEST_POSTGRES_URL=postgresql://chipstress:chipstress@127.0.0.1:5432/chipstress_test
#   CHIPSTRESS_CHROMIUM=/usr/bin/chromium
# Everything else goes to stderr. Never fails the build by itself: the tests decide what
# a missing service means (skip locally, fail in CI where CHIPSTRESS_REQUIRE_SERVICES=1).
set -u

log() { echo "services: $*" >&2; }

apt_install() {
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    log "cannot install $* (not root or no apt-get)"; return 1
  fi
  if [ ! -f /tmp/.chipstress-apt-updated ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >>/tmp/chipstress-apt.log 2>&1 && touch /tmp/.chipstress-apt-updated
  fi
  log "installing $* (log: /tmp/chipstress-apt.log)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>/tmp/chipstress-apt.log 2>&1
}

# --- PostgreSQL ---------------------------------------------------------------
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  apt_install postgresql || true
fi
if command -v pg_lsclusters >/dev/null 2>&1; then
  cluster=$(pg_lsclusters -h 2>/dev/null | head -n 1)
  if [ -z "$cluster" ] && command -v pg_createcluster >/dev/null 2>&1; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    pg_createcluster "$version" main >&2 && cluster=$(pg_lsclusters -h | head -n 1)
  fi
  if [ -n "$cluster" ]; then
    set -- $cluster
    version=$1; name=$2; port=$3; status=$4
    if [ "$status" != "online" ]; then
      pg_ctlcluster "$version" "$name" start >&2 || log "could not start PostgreSQL $version/$name"
    fi
    if su postgres -c "psql -p $port -qAtc 'select 1'" >/dev/null 2>&1; then
      su postgres -c "psql -p $port -qc \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='chipstress') THEN CREATE ROLE chipstress LOGIN PASSWORD 'chipstress' CREATEDB; END IF; END\\\$\\\$;\"" >&2
      if ! su postgres -c "psql -p $port -qAtc \"select 1 from pg_database where datname='chipstress_test'\"" | grep -q 1; then
        su postgres -c "createdb -p $port -O chipstress chipstress_test" >&2
      fi
      echo "CHIPSTRESS_TEST_POSTGRES_URL=postgresql://chipstress:chipstress@127.0.0.1:$port/chipstress_test"
    else
      log "PostgreSQL is installed but not answering"
    fi
  fi
else
  log "no PostgreSQL: the store's PostgreSQL tests will be skipped"
fi

# --- Chromium -----------------------------------------------------------------
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  apt_install chromium fonts-noto-cjk || true
  chromium=$(command -v chromium || true)
fi
if [ -n "$chromium" ]; then
  echo "CHIPSTRESS_CHROMIUM=$chromium"
else
  log "no Chromium: the dashboard's browser tests will be skipped"
fi
exit 0
