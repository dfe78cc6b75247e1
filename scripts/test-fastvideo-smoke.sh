#!/usr/bin/env bash
# Smoke test of a real adapter: start it, post a minimal payload, check the MP4 decodes with the
# requested frames/size/fps, print timings, stop it.
#   scripts/test-fastvideo-smoke.sh [--backend preview|fastvideo]   (default preview)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
backend=preview
[ "${1:-}" = "--backend" ] && backend="${2:-preview}"
py="${STV_PYTHON:-}"
for c in "$root/python/.venv/bin/python" "${STV_HOME:-$HOME/.scene-to-video}/venv/bin/python"; do
  [ -z "$py" ] && [ -x "$c" ] && py="$c"
done
[ -n "$py" ] || { echo "No adapter environment: run scripts/bootstrap.sh or scripts/setup-fastvideo.sh." >&2; exit 1; }
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$(mktemp -d)
"$py" -m stv_adapter serve --host 127.0.0.1 --port "$port" --backend "$backend" --output-root "$out" --artifacts-dir "$out/artifacts" >"$out/adapter.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$out"' EXIT
# Not `exec`: the EXIT trap above must still stop the adapter and remove its folder.
rc=0
"$py" - "$port" "$backend" "$out" <<'PY' || rc=$?
import json, sys, time, urllib.request
import imageio_ffmpeg
port, backend, out = sys.argv[1], sys.argv[2], sys.argv[3]
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
body = {"prompt": "smoke test: a lighthouse at dusk", "width": 832, "height": 480, "numFrames": 33, "fps": 16, "seed": 1}
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
ok = meta.get("codec") == "h264" and frames == res["frames"] and tuple(meta["size"]) == (res["width"], res["height"]) and round(meta["fps"]) == body["fps"]
print(json.dumps({"backend": backend, "video": res["outputVideoPath"], "codec": meta.get("codec"), "decodedFrames": frames, "size": meta["size"], "fps": meta["fps"], "wallSeconds": round(wall, 2), "timings": res["timings"], "warnings": [w["code"] for w in res["warnings"]]}, indent=2))
print("SMOKE TEST PASSED" if ok else "SMOKE TEST FAILED")
sys.exit(0 if ok else 1)
PY
exit "$rc"
