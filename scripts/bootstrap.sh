#!/usr/bin/env bash
# Idempotent set-up shared by the README's two commands: Node packages from the lockfile and the
# adapter's Python environment (python/.venv). Re-runs only what changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[2m[bootstrap]\033[0m %s\n' "$*" >&2; }

# --- Node -------------------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1; then
  echo "Node.js 20.18 or newer is required (https://nodejs.org)." >&2; exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)' || {
  echo "Node.js $(node --version) is too old: Scene to Video needs 20.18 or newer." >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing Node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- Python -----------------------------------------------------------------------------------
PY="${STV_PYTHON:-}"
if [ -z "$PY" ]; then
  for c in python3.12 python3.11 python3.10 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if (3,10)<=sys.version_info[:2]<=(3,12) else 1)' 2>/dev/null; then PY="$c"; break; fi
  done
fi
[ -n "$PY" ] || { echo "Python 3.10, 3.11 or 3.12 is required for the adapter (FastVideo supports these)." >&2; exit 1; }
VENV=python/.venv
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.stv-installed"
if [ ! -f "$STAMP" ] || [ python/pyproject.toml -nt "$STAMP" ]; then
  # The cluster extra (ray) too: the tests start a local Ray cluster (python/tests/test_cluster.py).
  log "installing the adapter, its dev tools and the cluster extra into $VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e "python[dev,cluster]"
  touch "$STAMP"
fi
