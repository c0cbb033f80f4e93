#!/usr/bin/env bash
# Set up (idempotently) and run Olivine on its embedded default: `olivine up`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/olivine up "$@"
