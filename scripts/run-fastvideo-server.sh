#!/usr/bin/env bash
# Runs the FastVideo adapter in the foreground on 127.0.0.1.
#   scripts/run-fastvideo-server.sh [--backend fastvideo|preview] [--port 8055] [--dry-run] [any `serve` flag]
# Environment (all optional):
#   STV_PYTHON                    the interpreter (default: python/.venv, then ~/.scene-to-video/venv)
#   FASTVIDEO_MODEL               hub id (default FastVideo/FastWan2.2-TI2V-5B-Diffusers)
#   FASTVIDEO_MODEL_PATH          a local model folder
#   FASTVIDEO_HOME                where models are looked for (default ~/.cache/fastvideo)
#   HF_HOME                       the Hugging Face cache
#   FASTVIDEO_ATTENTION_BACKEND   FLASH_ATTN | TORCH_SDPA | SAGE_ATTN | VIDEO_SPARSE_ATTN
#   STV_ADAPTER_PORT              port (default 8055)
#   STV_ADAPTER_TOKEN             require this bearer token (needed to bind beyond loopback)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="${STV_PYTHON:-}"
if [ -z "$py" ]; then
  for c in "$root/python/.venv/bin/python" "${STV_HOME:-$HOME/.scene-to-video}/venv/bin/python"; do
    if [ -x "$c" ]; then py="$c"; break; fi
  done
fi
if [ -z "$py" ]; then
  echo "No adapter environment found. Run scripts/setup-fastvideo.sh (GPU) or scripts/bootstrap.sh (preview only) first." >&2
  exit 1
fi
exec "$py" -m stv_adapter serve --host 127.0.0.1 --port "${STV_ADAPTER_PORT:-8055}" "$@"
