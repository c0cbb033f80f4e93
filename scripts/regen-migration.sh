#!/usr/bin/env bash
# Development only, before the first release: regenerate the initial migration from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f src/olivine/db/migrations/versions/0001_initial_schema.py /tmp/olivine-regen.db
.venv/bin/python - <<'PY'
from alembic import command
from olivine.db.migrate import alembic_config
command.revision(alembic_config("sqlite:////tmp/olivine-regen.db"), message="initial schema",
                 autogenerate=True, rev_id="0001")
PY
.venv/bin/ruff format -q src/olivine/db/migrations/versions/
rm -f /tmp/olivine-regen.db
