#!/usr/bin/env bash
# Renders the sample's first scene through a REAL ComfyUI server with the model-free workflow
# (LoadImage -> RepeatImageBatch -> CreateVideo -> SaveVideo), so a CPU-only ComfyUI can run it,
# then checks the MP4. It does not install ComfyUI: start one yourself, on loopback, e.g.
#   python main.py --cpu --listen 127.0.0.1 --port 8188
# Usage: COMFYUI_URL=http://127.0.0.1:8188 bash scripts/comfyui-real-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
url="${COMFYUI_URL:-http://127.0.0.1:8188}"
bash scripts/bootstrap.sh
npm run --silent build >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node dist/cli.js render media/sample/sample.timeline.json --scene lighthouse --provider comfyui-local --endpoint "$url" \
  --workflow test/fixtures/comfyui/model-free.workflow.json --mapping test/fixtures/comfyui/model-free.mapping.json \
  --output "$out" --json | tee "$out/log.jsonl"
video=$(find "$out" -name '*.mp4' | head -1)
[ -n "$video" ] || { echo "no MP4 was written" >&2; exit 1; }
python/.venv/bin/python -c "import imageio_ffmpeg,sys; r=imageio_ffmpeg.read_frames(sys.argv[1]); m=next(r); n=sum(1 for _ in r); print(f'{sys.argv[1]}: {m[\"codec\"]} {m[\"size\"]} {m[\"fps\"]} fps, {n} frames'); sys.exit(0 if n==33 else 1)" "$video"
echo "REAL COMFYUI CHECK PASSED"
