#!/usr/bin/env bash
# Smoke test of a real adapter: start it, post a minimal payload, check the MP4 decodes with the
# requested frames/size/fps, print timings, stop it.
#   scripts/test-fastvideo-smoke.sh [--backend preview|fastvideo]   (default preview)
#   scripts/test-fastvideo-smoke.sh --model <folder> [--cpu]
# --model renders with the fastvideo backend from a local model folder (named like its hub
# repository: FastVideo picks the pipeline by the folder name), e.g. real weights on a GPU, or the
# tiny model of python/tests/tiny_wan.py. --cpu is test tooling for that tiny model on a machine
# without a GPU: FastVideo's CPU patch (python/tests/fastvideo_cpu) on PYTHONPATH, offload off,
# TORCH_SDPA, 256x256x9 frames in 2 steps; run it with the FastVideo test venv's Python, e.g.
#   STV_PYTHON=~/.cache/stv-tools/fastvideo-0.2.1/bin/python scripts/test-fastvideo-smoke.sh --model <folder> --cpu
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
backend=preview model_dir="" cpu=0
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend="${2:?--backend needs preview or fastvideo}"; shift 2 ;;
    --model) model_dir="${2:?--model needs a model folder}"; backend=fastvideo; shift 2 ;;
    --cpu) cpu=1; shift ;;
    *) echo "unknown option $1 (use --backend preview|fastvideo, --model <folder>, --cpu)" >&2; exit 2 ;;
  esac
done
serve_args=(--backend "$backend")
body='{"prompt": "smoke test: a lighthouse at dusk", "width": 832, "height": 480, "numFrames": 33, "fps": 16, "seed": 1}'
if [ -n "$model_dir" ]; then
  [ -f "$model_dir/model_index.json" ] || { echo "$model_dir is not a model folder (no model_index.json)." >&2; exit 2; }
  model_dir="$(cd "$model_dir" && pwd)"
  case "$(basename "$model_dir" | tr '[:upper:]' '[:lower:]')" in
    fastwan*) model_id=FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers ;;
    *) model_id=Wan-AI/Wan2.2-TI2V-5B-Diffusers ;;
  esac
  serve_args+=(--model "$model_id" --model-path "$model_dir")
fi
if [ "$cpu" = 1 ]; then
  export PYTHONPATH="$root/python/tests/fastvideo_cpu${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1
  serve_args+=(--attention-backend TORCH_SDPA --no-dit-cpu-offload --no-vae-cpu-offload --no-text-encoder-cpu-offload)
  body='{"prompt": "smoke test: a lighthouse at dusk", "width": 256, "height": 256, "numFrames": 9, "fps": 8, "seed": 1, "steps": 2}'
fi
# The repository's adapter, for a Python that has FastVideo but not the adapter installed.
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$root/python"
py="${STV_PYTHON:-}"
for c in "$root/python/.venv/bin/python" "${STV_HOME:-$HOME/.scene-to-video}/venv/bin/python"; do
  [ -z "$py" ] && [ -x "$c" ] && py="$c"
done
[ -n "$py" ] || { echo "No adapter environment: run scripts/bootstrap.sh or scripts/setup-fastvideo.sh." >&2; exit 1; }
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$(mktemp -d)
"$py" -m stv_adapter serve --host 127.0.0.1 --port "$port" "${serve_args[@]}" --output-root "$out" --artifacts-dir "$out/artifacts" >"$out/adapter.log" 2>&1 &
pid=$!
# set -e holds inside the trap too: wait's status (the killed adapter's 143) must not become ours.
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$out"' EXIT
# Not `exec`: the EXIT trap above must still stop the adapter and remove its folder.
rc=0
"$py" - "$port" "$backend" "$out" "$body" <<'PY' || rc=$?
import json, sys, time, urllib.request
import imageio_ffmpeg
port, backend, out, body = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
base = f"http://127.0.0.1:{port}"
deadline = time.time() + (900 if backend == "fastvideo" else 60)
while True:
    try:
        h = json.load(urllib.request.urlopen(base + "/health", timeout=2))
        if h["status"] == "ok":
            break
        if h["status"] == "error":
            sys.exit(f"adapter error: {h['error']}")
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("adapter did not become ready; log:\n" + open(f"{out}/adapter.log").read()[-2000:])
    time.sleep(0.5)
t0 = time.perf_counter()
req = urllib.request.Request(base + "/generate", data=json.dumps(body).encode(), headers={"content-type": "application/json"})
try:
    res = json.load(urllib.request.urlopen(req, timeout=1800))
except urllib.error.HTTPError as e:
    sys.exit(f"generate failed: HTTP {e.code} {e.read().decode()}")
wall = time.perf_counter() - t0
reader = imageio_ffmpeg.read_frames(res["outputVideoPath"])
meta = next(reader)
frames = sum(1 for _ in reader)
ok = meta.get("codec") == "h264" and frames == res["frames"] == body["numFrames"] and tuple(meta["size"]) == (res["width"], res["height"]) == (body["width"], body["height"]) and round(meta["fps"]) == body["fps"]
print(json.dumps({"backend": backend, "video": res["outputVideoPath"], "codec": meta.get("codec"), "decodedFrames": frames, "size": meta["size"], "fps": meta["fps"], "wallSeconds": round(wall, 2), "timings": res["timings"], "warnings": [w["code"] for w in res["warnings"]]}, indent=2))
print("SMOKE TEST PASSED" if ok else "SMOKE TEST FAILED")
sys.exit(0 if ok else 1)
PY
exit "$rc"
