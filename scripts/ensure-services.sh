#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1, and that Chromium is there for
# the browser tests: start them if they are installed, install them (Debian) if not.
set -euo pipefail

apt_updated=""
apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "need root to install $*; install it and retry" >&2; return 1; fi
  [ -n "$apt_updated" ] || { apt-get update -qq >/dev/null; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for "what" command…
  local what=$1; shift
  for _ in $(seq 1 30); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "$what did not come up" >&2; return 1
}

# PostgreSQL
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
  version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
  # A fresh install asks for a password over TCP: give postgres the one DATABASE_URL uses.
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
fi
echo "PostgreSQL: up"

# Redis
if ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG); then
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
fi
echo "Redis: up"

# Chromium for tests/e2e (Playwright drives Debian's build; it downloads nothing)
if ! command -v chromium >/dev/null; then
  apt_install chromium fonts-dejavu-core || echo "Chromium could not be installed: browser tests will fail" >&2
fi
echo "Chromium: $(command -v chromium || echo missing)"
