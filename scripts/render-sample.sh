#!/usr/bin/env bash
# The README's first command: renders media/sample/sample.timeline.json to six MP4s.
# Uses a FastVideo adapter already running at http://127.0.0.1:8055 if there is one (your GPU);
# otherwise starts one with the CPU preview backend (not AI) just for this run.
#   STV_BACKEND=fastvideo bash scripts/render-sample.sh   # start the real model instead of preview
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run --silent build -- >/dev/null
node dist/cli.js render media/sample/sample.timeline.json --provider fastvideo-local --backend "${STV_BACKEND:-preview}" "$@"
