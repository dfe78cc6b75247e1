#!/usr/bin/env bash
# A real ComfyUI for the test command: found or installed once into a cache outside the repository,
# then started on CPU on a free loopback port and stopped when the caller exits.
#
# Where the source comes from, first that works:
#   1. $COMFYUI_DIR (a ComfyUI checkout of yours; its venv is still ours, in the cache);
#   2. the vendored tarball comfyui-$STV_COMFYUI_VERSION.tar.gz in $STV_VENDOR_DIR, else in
#      ../shared/vendor/ next to the clone (the main checkout's parent when this is a git worktree);
#   3. a git clone of the pinned commit, when the network allows.
# Its venv: ${STV_TOOLS_DIR:-~/.cache/stv-tools}/comfyui-<version>/venv, seeing the one shared torch
# (scripts/lib/torch-base.sh) through a .pth file, plus ComfyUI's requirements without torchaudio:
# PyPI has no torchaudio for torch 2.12, and an unpinned one pulls in another torch. ComfyUI 0.3.64
# runs without it; only its audio nodes (nodes_audio, nodes_audio_encoder) fail to import.
#
# Usage (bash): source scripts/lib/comfyui-server.sh
#   comfyui_install    -> prints the ComfyUI folder on stdout; non-zero with one line when no source
#   comfyui_start DIR  -> starts it, waits until it serves, sets COMFYUI_URL and COMFYUI_PID;
#                         its files (input/, output/, temp/, user/, log) go to a fresh temp folder
#   comfyui_stop       -> stops it (also safe when nothing was started)
set -uo pipefail
STV_COMFYUI_VERSION=0.3.64
STV_COMFYUI_COMMIT=a125cd84b054a57729b5eecab930ca9408719832
STV_COMFYUI_GIT=https://github.com/comfyanonymous/ComfyUI.git
STV_TOOLS_DIR="${STV_TOOLS_DIR:-$HOME/.cache/stv-tools}"
STV_COMFYUI_HOME="${STV_COMFYUI_HOME:-$STV_TOOLS_DIR/comfyui-$STV_COMFYUI_VERSION}"
_comfy_lib_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_comfy_repo="$(cd "$_comfy_lib_dir/../.." && pwd)"

comfy_log() { printf '[comfyui] %s\n' "$*" >&2; }

# The vendor folder: $STV_VENDOR_DIR, else ../shared/vendor beside this clone or beside the main
# checkout of a git worktree (git rev-parse --git-common-dir names the main checkout's .git).
comfyui_vendor_tarball() {
  local name="comfyui-$STV_COMFYUI_VERSION.tar.gz" d common
  local dirs=("${STV_VENDOR_DIR:-}" "$_comfy_repo/../shared/vendor")
  if common=$(git -C "$_comfy_repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
    dirs+=("$(dirname "$common")/../shared/vendor")
  fi
  for d in "${dirs[@]}"; do
    if [ -n "$d" ] && [ -f "$d/$name" ]; then (cd "$d" && printf '%s/%s\n' "$(pwd)" "$name"); return 0; fi
  done
  return 1
}

# The venv for a ComfyUI folder: once per version (the requirements are the version's).
_comfyui_venv() {
  local src=$1 venv="$STV_COMFYUI_HOME/venv"
  if [ -f "$venv/.stv-complete" ]; then return 0; fi
  # shellcheck source=torch-base.sh
  source "$_comfy_lib_dir/torch-base.sh"
  set +e # torch-base.sh turns on -e; a failed step here must end in our message, not a silent exit
  torch_base_install || { comfy_log "the shared torch could not be installed (see above)"; return 1; }
  comfy_log "making ComfyUI's venv in $venv (the shared torch + ComfyUI's requirements without torchaudio)"
  rm -rf "$venv"
  "$STV_TORCH_VENV/bin/python" -c 'import sys; print(sys.base_prefix)' >/dev/null || return 1
  local py
  py=$(readlink -f "$(grep -E '^executable' "$STV_TORCH_VENV/pyvenv.cfg" | sed 's/^executable *= *//')" 2>/dev/null)
  [ -x "$py" ] || py=$(command -v python3.11 || command -v python3)
  "$py" -m venv "$venv" || return 1
  link_torch "$venv" || return 1
  grep -vE '^\s*(torch|torchvision|torchaudio)\s*$' "$src/requirements.txt" >"$venv/stv-requirements.txt"
  # 0.3.64's frontend manager imports requests without listing it.
  echo requests >>"$venv/stv-requirements.txt"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$venv/stv-requirements.txt" >&2 || return 1
  "$venv/bin/python" -c 'import torch, torchvision, aiohttp, av' >&2 || return 1
  touch "$venv/.stv-complete"
}

# Prints the ComfyUI folder to run; installs what is missing. One line on stderr when there is none.
comfyui_install() {
  mkdir -p "$STV_COMFYUI_HOME"
  (
    flock 9
    local src tarball
    if [ -n "${COMFYUI_DIR:-}" ]; then
      [ -f "$COMFYUI_DIR/main.py" ] || { comfy_log "COMFYUI_DIR=$COMFYUI_DIR has no main.py"; exit 1; }
      src=$(cd "$COMFYUI_DIR" && pwd)
    else
      src="$STV_COMFYUI_HOME/ComfyUI"
      if [ ! -f "$src/.stv-complete" ]; then
        rm -rf "$src" "$src.part"
        if tarball=$(comfyui_vendor_tarball); then
          comfy_log "unpacking $tarball"
          mkdir -p "$src.part" && tar xzf "$tarball" -C "$src.part" --strip-components=1 || exit 1
        elif command -v git >/dev/null 2>&1 &&
          timeout 300 git clone -q --filter=blob:none --no-checkout "$STV_COMFYUI_GIT" "$src.part" 2>/dev/null &&
          git -C "$src.part" checkout -q "$STV_COMFYUI_COMMIT"; then
          comfy_log "cloned ComfyUI at $STV_COMFYUI_COMMIT"
        else
          rm -rf "$src.part"
          comfy_log "no ComfyUI source: COMFYUI_DIR is unset, comfyui-$STV_COMFYUI_VERSION.tar.gz is not in ../shared/vendor/ and $STV_COMFYUI_GIT cannot be cloned"
          exit 3
        fi
        mv "$src.part" "$src" && touch "$src/.stv-complete"
      fi
    fi
    _comfyui_venv "$src" || { comfy_log "installing ComfyUI's requirements failed (see above)"; exit 1; }
    printf '%s\n' "$src"
  ) 9>"$STV_COMFYUI_HOME/.lock"
}

_comfy_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

comfyui_start() {
  local src=$1 port
  COMFYUI_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/stv-comfyui.XXXXXX")
  mkdir -p "$COMFYUI_RUN_DIR"/{input,output,temp,user}
  port=$(_comfy_free_port)
  # setsid: its own process group, so comfyui_stop ends it and anything it started, and nothing else.
  (cd "$src" && exec setsid "$STV_COMFYUI_HOME/venv/bin/python" main.py --cpu --listen 127.0.0.1 --port "$port" \
    --disable-auto-launch --input-directory "$COMFYUI_RUN_DIR/input" --output-directory "$COMFYUI_RUN_DIR/output" \
    --temp-directory "$COMFYUI_RUN_DIR/temp" --user-directory "$COMFYUI_RUN_DIR/user" \
    --database-url "sqlite:///$COMFYUI_RUN_DIR/user/comfyui.db") >"$COMFYUI_RUN_DIR/comfyui.log" 2>&1 &
  COMFYUI_PID=$!
  local url="http://127.0.0.1:$port" t0=$SECONDS
  while ! curl -fsS -m 2 "$url/system_stats" >/dev/null 2>&1; do
    if ! kill -0 "$COMFYUI_PID" 2>/dev/null; then
      comfy_log "ComfyUI exited while starting; the end of $COMFYUI_RUN_DIR/comfyui.log:"
      tail -20 "$COMFYUI_RUN_DIR/comfyui.log" >&2
      return 1
    fi
    if [ $((SECONDS - t0)) -gt "${STV_COMFYUI_START_TIMEOUT:-240}" ]; then
      comfy_log "ComfyUI did not serve $url within ${STV_COMFYUI_START_TIMEOUT:-240} s; the end of its log:"
      tail -20 "$COMFYUI_RUN_DIR/comfyui.log" >&2
      comfyui_stop
      return 1
    fi
    sleep 1
  done
  export COMFYUI_URL="$url"
  comfy_log "ComfyUI $STV_COMFYUI_VERSION serves $url on CPU after $((SECONDS - t0)) s (log: $COMFYUI_RUN_DIR/comfyui.log)"
}

comfyui_stop() {
  if [ -n "${COMFYUI_PID:-}" ] && kill -0 "$COMFYUI_PID" 2>/dev/null; then
    kill -TERM -- "-$COMFYUI_PID" 2>/dev/null || kill -TERM "$COMFYUI_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$COMFYUI_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$COMFYUI_PID" 2>/dev/null || true
  fi
  COMFYUI_PID=""
  if [ -n "${COMFYUI_RUN_DIR:-}" ] && [ "${STV_KEEP_COMFYUI_RUN:-0}" != 1 ]; then rm -rf "$COMFYUI_RUN_DIR"; fi
}
