#!/usr/bin/env bash
# Checks the ComfyUI provider against a REAL ComfyUI server with workflows that need no model
# files, so a CPU-only ComfyUI runs them:
#   1. the CLI renders the sample's first scene with test/fixtures/comfyui/model-free.workflow.json
#      (LoadImage -> RepeatImageBatch -> CreateVideo -> SaveVideo) and its mapping; ffprobe checks
#      the MP4 (H.264, 640x352, 33 frames);
#   2. test/unit/comfyui-real.test.ts: health (and the built-in workflow naming its missing model
#      files), render with progress from /ws, an execution_error, the built-in workflow's
#      rejection, cancel while running (/interrupt) and while queued (queue delete), and a
#      WebSocket dropped mid-render.
# With COMFYUI_URL it checks the server you run there; without it, it installs (once, cached) and
# starts ComfyUI 0.3.64 on CPU itself (scripts/lib/comfyui-server.sh), and stops it at the end.
# --cli-only runs step 1 only (the test command runs step 2 in its mocha run). Usage:
#   bash scripts/comfyui-real-check.sh [--cli-only]
#   COMFYUI_URL=http://127.0.0.1:8188 bash scripts/comfyui-real-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cli_only=0; [ "${1:-}" = --cli-only ] && cli_only=1
if [ -z "${COMFYUI_URL:-}" ]; then
  source scripts/lib/comfyui-server.sh
  trap comfyui_stop EXIT
  src=$(comfyui_install) || exit 2
  comfyui_start "$src" || exit 1
fi
url="${COMFYUI_URL%/}"

if ! node -e 'fetch(process.argv[1] + "/system_stats", { signal: AbortSignal.timeout(5000) }).then((r) => r.json()).then((s) => { console.log(`ComfyUI ${s.system.comfyui_version} at ${process.argv[1]} on ${s.devices[0]?.name}`); }).catch((e) => { console.error(String(e)); process.exit(1); })' "$url"; then
  echo "No ComfyUI answers at $url. Start one (python main.py --cpu --listen 127.0.0.1 --port 8188) or set COMFYUI_URL." >&2
  exit 2
fi
command -v ffprobe >/dev/null 2>&1 || { echo "ffprobe is needed to check the MP4 (apt-get install ffmpeg)." >&2; exit 2; }

bash scripts/bootstrap.sh
npm run --silent build >/dev/null

out=$(mktemp -d)
trap 'rm -rf "$out"; comfyui_stop 2>/dev/null || true' EXIT
echo "== 1. CLI render through $url with the model-free workflow"
# A copy of the sample, so the run record the CLI writes beside a timeline stays out of the checkout.
cp -r media/sample "$out/ws" && rm -rf "$out/ws/renders" "$out/ws/.scene-to-video"
node dist/cli.js render "$out/ws/sample.timeline.json" --scene lighthouse --provider comfyui-local --endpoint "$url" \
  --workflow test/fixtures/comfyui/model-free.workflow.json --mapping test/fixtures/comfyui/model-free.mapping.json \
  --output "$out" --json | tee "$out/log.jsonl"
video=$(find "$out" -name '*.mp4' | head -1)
[ -n "$video" ] || { echo "no MP4 was written" >&2; exit 1; }
probe=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=codec_name,width,height,nb_read_frames,avg_frame_rate -of csv=p=0 "$video")
echo "$video: $probe"
[ "$probe" = "h264,640,352,16/1,33" ] || { echo "expected h264,640,352,16/1,33 (codec,width,height,fps,frames)" >&2; exit 1; }
grep -q '"stage":"saving"' "$out/log.jsonl" || { echo "no progress from ComfyUI's /ws in the CLI's output" >&2; exit 1; }

if [ "$cli_only" = 1 ]; then echo "REAL COMFYUI CLI RENDER PASSED"; exit 0; fi
echo "== 2. provider tests against $url (render, progress, errors, cancel, reconnect)"
npm run --silent compile-tests
COMFYUI_URL="$url" npx mocha --no-config --timeout 300000 --enable-source-maps out/test/unit/comfyui-real.test.js
echo "REAL COMFYUI CHECK PASSED"
