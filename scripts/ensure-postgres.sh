#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests; on a fresh machine,
# install and start one. Writes the URL the tests use to .venv/.olivine-test-pg.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.venv/.olivine-test-pg
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"

try() { PGCONNECT_TIMEOUT=3 psql "$1" -Atc 'select 1' >/dev/null 2>&1; }

if ! command -v psql >/dev/null || ! command -v pg_ctlcluster >/dev/null; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends postgresql
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
fi
url="postgresql://postgres@127.0.0.1:5432/postgres"
if ! try "$url"; then
  # A fresh Debian cluster wants a password over TCP: give the postgres role one for the tests.
  $SUDO -u postgres psql -qc "ALTER USER postgres PASSWORD 'olivine-test'" 2>/dev/null \
    || su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'olivine-test'\""
  url="postgresql://postgres:olivine-test@127.0.0.1:5432/postgres"
  try "$url" || { echo "PostgreSQL on 127.0.0.1:5432 does not accept the test login" >&2; exit 1; }
fi
echo "export OLIVINE_TEST_PG=$url" > "$out"
