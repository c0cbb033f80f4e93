#!/usr/bin/env bash
# Set up (idempotently) and run the whole test suite: lint, type check, then the tests on SQLite
# and on PostgreSQL. Starts (or installs and starts) PostgreSQL when none is running.
# Extra arguments go to pytest, e.g. scripts/test.sh -k auth
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PATH="$PWD/.venv/bin:$PATH"

scripts/ensure-postgres.sh
# shellcheck disable=SC1091
source .venv/.olivine-test-pg 2>/dev/null || true

echo "== ruff"; ruff check src tests bench; ruff format --check src tests bench  # each stops the run (set -e)
echo "== mypy"; mypy src
echo "== migrations match the models"
python - <<'PY'
import tempfile, os
from olivine.db.migrate import upgrade, check
with tempfile.TemporaryDirectory() as d:
    url = f"sqlite:///{d}/check.db"
    upgrade(url)
    check(url)
print("ok")
PY

status=0
echo "== tests on SQLite (unit + integration + security)"
OLIVINE_TEST_DB=sqlite pytest -q -m "not slow" tests/unit tests/integration tests/security "$@" || status=$?
echo "== tests on PostgreSQL (everything, slow suites included)"
OLIVINE_TEST_DB=postgresql pytest -q tests "$@" || { s=$?; [[ $s == 5 ]] || status=$s; }
exit $status
