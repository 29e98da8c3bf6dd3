#!/usr/bin/env bash
# Installs the infrastructure checker (checkov) into its own virtual environment,
# .venv-tools/checkov, apart from the project's .venv: checkov pins older packaging, networkx,
# cachetools and importlib-metadata than the project uses, and installing it there would
# downgrade them under Prefect and torch.
#
#   bash infra/install_tools.sh          # idempotent: does nothing when the pinned version is there
#   .venv-tools/checkov/bin/checkov -d infra --framework bicep
#
# tests/infra/test_bicep_checkov.py runs this script itself when the tool is missing.
set -euo pipefail

CHECKOV_VERSION=3.3.30
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/.venv-tools"
VENV="$TOOLS/checkov"
PYTHON="${PYTHON:-python3.11}"

mkdir -p "$TOOLS"
# nothing in .venv-tools is ever committed
[ -f "$TOOLS/.gitignore" ] || printf '*\n' >"$TOOLS/.gitignore"

# two test workers (or two shells) may ask at once: one installs, the other waits
exec 9>"$TOOLS/.install.lock"
flock 9

installed() {
  [ -x "$VENV/bin/checkov" ] && [ "$("$VENV/bin/checkov" --version 2>/dev/null)" = "$CHECKOV_VERSION" ]
}

if installed; then
  exit 0
fi
command -v "$PYTHON" >/dev/null || { echo "error: $PYTHON not found (set PYTHON=...)" >&2; exit 1; }
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
installed || { echo "error: checkov $CHECKOV_VERSION did not install in $VENV" >&2; exit 1; }
echo "checkov $CHECKOV_VERSION: $VENV/bin/checkov"
