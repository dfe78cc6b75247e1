#!/usr/bin/env bash
# One torch for every heavy test tool (the real ComfyUI and the real FastVideo), installed once into a
# cache outside the repository: ${STV_TOOLS_DIR:-~/.cache/stv-tools}/torch-<version>/.
# torch from PyPI on Linux is ~3 GB with its CUDA libraries; installing it twice would double the
# cold CI time and the disk. The versions are FastVideo 0.2.1's exact pins (torch 2.12.0 with
# torchvision 0.27.0); ComfyUI takes any recent torch. torchaudio is left out: PyPI has no build
# for torch 2.12, and an unpinned one resolves to another torch's build and breaks `import fastvideo`.
#
# A tool's own venv uses this torch through a .pth file (see link_torch below), so each tool keeps
# its own other dependencies while they share the one torch.
#
# Usage: source scripts/lib/torch-base.sh; torch_base_install; link_torch <venv>
set -euo pipefail
STV_TOOLS_DIR="${STV_TOOLS_DIR:-$HOME/.cache/stv-tools}"
STV_TORCH_VERSION=2.12.0
STV_TORCHVISION_VERSION=0.27.0
STV_TORCH_VENV="$STV_TOOLS_DIR/torch-$STV_TORCH_VERSION"

torch_log() { printf '[torch-base] %s\n' "$*" >&2; }

# Creates (once) the venv holding torch + torchvision and prints nothing; idempotent and safe to
# run from two scripts at once (flock).
torch_base_install() {
  mkdir -p "$STV_TOOLS_DIR"
  local py="${STV_PYTHON:-}"
  if [ -z "$py" ]; then
    for c in python3.11 python3.12 python3.10 python3; do
      if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if (3,10)<=sys.version_info[:2]<=(3,12) else 1)' 2>/dev/null; then py="$c"; break; fi
    done
  fi
  [ -n "$py" ] || { torch_log "Python 3.10-3.12 is required"; return 1; }
  (
    flock 9
    if [ -f "$STV_TORCH_VENV/.stv-complete" ]; then exit 0; fi
    torch_log "installing torch $STV_TORCH_VERSION + torchvision $STV_TORCHVISION_VERSION into $STV_TORCH_VENV (~3 GB, once)"
    rm -rf "$STV_TORCH_VENV"
    "$py" -m venv "$STV_TORCH_VENV"
    "$STV_TORCH_VENV/bin/python" -m pip install --disable-pip-version-check -q --no-cache-dir \
      "torch==$STV_TORCH_VERSION" "torchvision==$STV_TORCHVISION_VERSION" >&2
    "$STV_TORCH_VENV/bin/python" -c 'import torch, torchvision' >&2
    touch "$STV_TORCH_VENV/.stv-complete"
  ) 9>"$STV_TOOLS_DIR/.torch.lock"
}

# The site-packages folder of the torch venv.
torch_site() {
  "$STV_TORCH_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
}

# Makes <venv> (same Python minor version) see the shared torch: a .pth file appends the torch
# venv's site-packages to sys.path, after the venv's own, so pip in <venv> sees torch as installed
# and the tool's other packages still win.
link_torch() {
  local venv=$1 site
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  torch_site >"$site/stv-shared-torch.pth"
}
