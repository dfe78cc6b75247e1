#!/usr/bin/env bash
# The adapter's `fastvideo` backend on the REAL FastVideo 0.2.1, on a CPU, with a tiny Wan 2.2 TI2V
# model generated here (issue 16; python/tests/test_fastvideo_real.py says what it checks).
# Installs FastVideo into a venv cached outside the repository the first time
# (scripts/lib/fastvideo-venv.sh: ~3 min and ~0.7 GB on top of the shared ~3 GB torch), then runs the
# tests and the smoke script (~6-10 min on two busy cores). scripts/test.sh runs this; it also runs alone:
#   bash scripts/test-fastvideo-real.sh [pytest args, e.g. -k cancel]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ffprobe >/dev/null 2>&1 || { echo "ffprobe is needed to check the MP4s (apt-get install ffmpeg)." >&2; exit 2; }
[ -x python/.venv/bin/python ] || bash scripts/bootstrap.sh
# shellcheck source=scripts/lib/fastvideo-venv.sh
source scripts/lib/fastvideo-venv.sh
t0=$SECONDS
fastvideo_venv_install
echo "[fastvideo-real] FastVideo venv ready in $((SECONDS - t0)) s: $STV_FASTVIDEO_VENV" >&2
t1=$SECONDS
rc=0
( cd python && STV_FASTVIDEO_PYTHON="$STV_FASTVIDEO_VENV/bin/python" .venv/bin/python -m pytest -q -p no:cacheprovider -rs \
    tests/test_fastvideo_real.py "$@" ) || rc=$?
echo "[fastvideo-real] tests ran in $((SECONDS - t1)) s" >&2
# The GPU smoke script on the tiny model: the same check a GPU machine runs on real weights.
t2=$SECONDS
tiny=$(mktemp -d)
trap 'rm -rf "$tiny"' EXIT
if folder=$(PYTHONPATH=python "$STV_FASTVIDEO_VENV/bin/python" python/tests/tiny_wan.py "$tiny" 2>/dev/null | tail -1 |
    "$STV_FASTVIDEO_VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["folder"])') &&
  STV_PYTHON="$STV_FASTVIDEO_VENV/bin/python" bash scripts/test-fastvideo-smoke.sh --model "$folder" --cpu; then
  echo "[fastvideo-real] smoke script on the tiny model passed in $((SECONDS - t2)) s" >&2
else
  echo "[fastvideo-real] smoke script on the tiny model FAILED" >&2; rc=1
fi
exit "$rc"
