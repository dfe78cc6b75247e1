#!/usr/bin/env bash
# Prepares a GPU machine (Linux or WSL2) for the FastVideo adapter:
#   1. a Python 3.10-3.12 environment at ${STV_HOME:-~/.scene-to-video}/venv
#   2. PyTorch with CUDA and the adapter with its `gpu` extra (FastVideo)
#   3. the model, downloaded into $FASTVIDEO_HOME (default ~/.cache/fastvideo) with resume
#   4. the adapter's dry run, which says what is still missing and how to fix it
# Usage: scripts/setup-fastvideo.sh [--model ID] [--skip-download] [--python python3.12]
#   FastWan2.2-TI2V-5B (default, fast, ignores keyframes): FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers
#   Wan2.2-TI2V-5B base (slower, follows keyframes):       --model Wan-AI/Wan2.2-TI2V-5B-Diffusers
# Needs ~30 GB free disk for the model and ~8 GB for the environment. HF_TOKEN is used if set.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers"
download=1
py=""
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --skip-download) download=0; shift ;;
    --python) py="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
fail() { echo "setup-fastvideo: $1" >&2; [ -n "${2:-}" ] && echo "  fix: $2" >&2; exit 1; }

case "$(uname -s)" in Linux) ;; *) fail "FastVideo runs on Linux (or WSL2 on Windows), not on $(uname -s)." "On Windows run scripts/setup-fastvideo-wsl.ps1; see docs/setup-windows.md." ;; esac
if [[ "$PWD" == /mnt/* ]] || [[ "${FASTVIDEO_HOME:-}" == /mnt/* ]]; then
  echo "note: paths under /mnt/<drive> are the Windows disk, which WSL reads slowly; keep FASTVIDEO_HOME on the Linux side." >&2
fi
command -v nvidia-smi >/dev/null 2>&1 || fail "nvidia-smi is not available: no NVIDIA driver is visible." "Install the NVIDIA driver (under WSL2: the Windows driver provides the GPU, do not install a Linux driver)."
nvidia-smi -L | head -1

if [ -z "$py" ]; then
  for c in python3.12 python3.11 python3.10; do command -v "$c" >/dev/null 2>&1 && { py="$c"; break; }; done
fi
[ -n "$py" ] || fail "Python 3.10, 3.11 or 3.12 is needed (FastVideo supports these)." "sudo apt install python3.12 python3.12-venv  (or use conda/uv)"
"$py" -c 'import sys; assert (3,10) <= sys.version_info[:2] <= (3,12)' || fail "$py is not Python 3.10-3.12."

home="${STV_HOME:-$HOME/.scene-to-video}"
venv="$home/venv"
fv_home="${FASTVIDEO_HOME:-$HOME/.cache/fastvideo}"
mkdir -p "$home" "$fv_home"
need_gb=$([ "$download" = 1 ] && echo 40 || echo 10)
free_gb=$(df -Pk "$fv_home" | awk 'NR==2 {print int($4/1048576)}')
[ "$free_gb" -ge "$need_gb" ] || fail "only ${free_gb} GB free at $fv_home; about ${need_gb} GB are needed." "Free disk space or set FASTVIDEO_HOME to a larger disk."

[ -x "$venv/bin/python" ] || "$py" -m venv "$venv" || fail "could not create $venv." "sudo apt install python3-venv"
"$venv/bin/python" -m pip install -q --upgrade pip
echo "Installing the adapter with FastVideo and CUDA PyTorch (several GB, takes a while)..."
"$venv/bin/python" -m pip install -q "$root/python[gpu]" "huggingface_hub[cli]>=0.34" || fail "pip could not install the adapter's gpu extra." "Read the pip error above; FastVideo pins torch exactly, so install into this fresh environment only."
"$venv/bin/python" - <<'PY' || fail "PyTorch cannot use the GPU." "Install the torch build matching your driver's CUDA version (docs/troubleshooting.md#torch-cuda-mismatch)."
import torch, sys
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, GPU available: {torch.cuda.is_available()}")
sys.exit(0 if torch.cuda.is_available() else 1)
PY

if [ "$download" = 1 ]; then
  name="${model##*/}"
  echo "Downloading $model into $fv_home/$name (resumes if interrupted)..."
  "$venv/bin/hf" download "$model" --local-dir "$fv_home/$name" || fail "the download of $model failed." "Check the network and disk; rerun this script to resume. Gated models need HF_TOKEN."
fi

echo
echo "Dry run:"
FASTVIDEO_HOME="$fv_home" "$venv/bin/python" -m stv_adapter serve --backend fastvideo --model "$model" --dry-run
echo
echo "Done. Start the adapter with:  FASTVIDEO_HOME=$fv_home $venv/bin/python -m stv_adapter serve --model $model"
echo "or from VS Code: 'Scene to Video: Start FastVideo adapter' (set fastVideo.pythonPath to $venv/bin/python)."
