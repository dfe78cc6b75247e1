#!/usr/bin/env bash
# The real FastVideo 0.2.1 for the CPU test (issue 16), in a venv cached outside the repository:
# ${STV_TOOLS_DIR:-~/.cache/stv-tools}/fastvideo-0.2.1/. It sees the shared torch through
# scripts/lib/torch-base.sh's link_torch (one ~3 GB torch for ComfyUI and FastVideo).
#
# `pip install fastvideo==0.2.1` cannot work without a GPU toolchain: it requires
# fastvideo-kernel==0.3.5 on Linux, which PyPI has only as source needing nvcc. So this installs the
# dependencies the Wan 2.2 TI2V path imports, pinned exactly (the versions pip resolved on
# 2026-12-01 next to torch 2.12.0), then fastvideo itself with --no-deps. Left out on purpose:
# fastvideo-kernel (nvcc), flashinfer (CUDA), torchaudio (no build for torch 2.12; an unpinned one
# pulls another torch and breaks `import fastvideo`), and what only training, serving UIs or other
# models use (gradio, wandb, ray, datasets, opencv, ...). The adapter's own dependencies (FastAPI,
# uvicorn, ...) are here too: the adapter runs in this venv with the repository's python/ on
# PYTHONPATH, so the repository itself is never installed into the cache.
#
# Usage: source scripts/lib/fastvideo-venv.sh; fastvideo_venv_install; "$STV_FASTVIDEO_VENV/bin/python" ...
set -euo pipefail
_fv_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/torch-base.sh
source "$_fv_here/torch-base.sh"
STV_FASTVIDEO_VERSION=0.2.1
STV_FASTVIDEO_VENV="$STV_TOOLS_DIR/fastvideo-$STV_FASTVIDEO_VERSION"
STV_FASTVIDEO_DEPS=(
  "diffusers==0.42.1" "transformers==5.15.1" "tokenizers==0.22.2" "safetensors==0.8.0" "huggingface_hub==1.33.0"
  "accelerate==1.0.1" "peft==0.21.2" "einops==0.8.2" "imageio==2.38.2" "imageio-ffmpeg==0.8.1" "av==18.1.0"
  "scipy==1.17.1" "sentencepiece==0.2.3" "ftfy==6.3.1" "psutil==7.2.2" "cloudpickle==3.1.3" "remote-pdb==2.1.0"
  "PyYAML==6.0.4" "regex==2026.11.19" "requests==2.34.2" "tqdm==4.70.1" "nvidia-ml-py==13.615.71"
  "numpy==2.4.6" "pillow==13.0.0"
  # the adapter (python/pyproject.toml's dependencies)
  "fastapi==0.165.0" "uvicorn==0.54.0" "pydantic==2.14.4"
)

fv_log() { printf '[fastvideo-venv] %s\n' "$*" >&2; }

# Creates (once) the venv; idempotent and safe to run from two scripts at once (flock). Prints the
# seconds each part took, so CI logs show the cold install's cost.
fastvideo_venv_install() {
  torch_base_install
  (
    flock 9
    if [ -f "$STV_FASTVIDEO_VENV/.stv-complete" ]; then exit 0; fi
    local t0=$SECONDS py
    py="$STV_TORCH_VENV/bin/python"
    fv_log "installing FastVideo $STV_FASTVIDEO_VERSION and its CPU-path dependencies into $STV_FASTVIDEO_VENV (once)"
    rm -rf "$STV_FASTVIDEO_VENV"
    # The torch venv's base interpreter: link_torch needs the same Python minor version.
    "$("$py" -c 'import sys; print(sys._base_executable)')" -m venv "$STV_FASTVIDEO_VENV"
    link_torch "$STV_FASTVIDEO_VENV"
    local pip=("$STV_FASTVIDEO_VENV/bin/python" -m pip install --disable-pip-version-check -q --no-cache-dir)
    # torch pinned on the line too, so the resolver keeps the shared one instead of fetching another.
    "${pip[@]}" "torch==$STV_TORCH_VERSION" "torchvision==$STV_TORCHVISION_VERSION" "${STV_FASTVIDEO_DEPS[@]}" >&2
    "${pip[@]}" --no-deps "fastvideo==$STV_FASTVIDEO_VERSION" >&2
    # The resolver must not have put a torch of its own into this venv (it would shadow the shared one).
    if compgen -G "$STV_FASTVIDEO_VENV/lib/python3*/site-packages/torch" >/dev/null; then
      fv_log "pip installed a second torch into $STV_FASTVIDEO_VENV; check the pins"; exit 1
    fi
    "$STV_FASTVIDEO_VENV/bin/python" -c 'import fastvideo, torch; assert torch.__version__.startswith("'"$STV_TORCH_VERSION"'")' >&2
    touch "$STV_FASTVIDEO_VENV/.stv-complete"
    fv_log "installed in $((SECONDS - t0)) s (torch not counted)"
  ) 9>"$STV_TOOLS_DIR/.fastvideo.lock"
}
