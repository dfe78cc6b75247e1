#!/usr/bin/env bash
# The real-VS-Code layer of the test command (called by scripts/test.sh).
# Installs code-server + Chromium into a cache outside the repo, packages the extension and checks
# it installs into a real VS Code (code-server) with its icon. Prints mocha-style "N passing".
set -uo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/install-test-tools.sh)" || { echo "  0 passing"; echo "  1 failing"; echo "could not install the VS Code test tools" >&2; exit 1; }
export PATH="$STV_NODE24_DIR:$PATH"
pass=0; fail=0
check() { # description, command...
  local d=$1; shift
  if out=$("$@" 2>&1); then echo "  ✔ $d"; pass=$((pass + 1)); else echo "  ✖ $d"; echo "$out" | tail -8 | sed 's/^/      /'; fail=$((fail + 1)); fi
}
echo "  packaged extension in a real VS Code ($("$STV_CODE_SERVER" --version | head -1 | cut -d' ' -f1,4-))"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
check "npm run package produces a .vsix" bash -c 'rm -f dist/scene-to-video.vsix && npm run --silent package >/dev/null && test -s dist/scene-to-video.vsix'
check "the .vsix installs into code-server" "$STV_CODE_SERVER" --user-data-dir "$work/ud" --extensions-dir "$work/ext" --install-extension dist/scene-to-video.vsix
version=$(node -p 'require("./package.json").version')
check "the extension is listed as scene-to-video.scene-to-video@$version" bash -c "'$STV_CODE_SERVER' --user-data-dir '$work/ud' --extensions-dir '$work/ext' --list-extensions --show-versions | grep -qx 'scene-to-video.scene-to-video@$version'"
check "its manifest names an icon that was installed with it" bash -c "d=\$(ls -d '$work'/ext/scene-to-video.scene-to-video-*); icon=\$(node -p \"require('\$d/package.json').icon\"); test -s \"\$d/\$icon\" && file \"\$d/\$icon\" | grep -q 'PNG image data, 128 x 128'"
check "the installed copy carries the adapter's source and the timeline schemas" bash -c "d=\$(ls -d '$work'/ext/scene-to-video.scene-to-video-*); test -f \"\$d/python/stv_adapter/app.py\" && test -f \"\$d/media/timeline.schema.json\" && test -f \"\$d/media/timeline.editor.schema.json\" && ! ls \"\$d\"/src >/dev/null 2>&1"

# The extension inside a real VS Code: the mocha suite in the extension host (trusted and untrusted
# workspaces) and the end-to-end run through the UI. The harness prints its own counts.
# (`npm run build` rewrites dist/ for the development copy; the .vsix packed above is unaffected.)
npm run --silent build >/dev/null 2>&1 && npm run --silent compile-tests || { echo "  build failed"; fail=$((fail + 1)); }
# The end-to-end run drives the packaged .vsix (installed into its code-server), when there is one.
vsix=""; [ -s dist/scene-to-video.vsix ] && vsix=dist/scene-to-video.vsix
STV_VSIX="$vsix" STV_CODE_SERVER="$STV_CODE_SERVER" STV_CHROMIUM="$STV_CHROMIUM" node test/vscode/harness.mjs > "$work/harness.log" 2>&1
harness_rc=$?
grep -v -E '^\s+[0-9]+ (passing|failing)' "$work/harness.log" | grep -v -E '^$'
hp=$(grep -Eo '^  [0-9]+ passing' "$work/harness.log" | grep -Eo '[0-9]+' | tail -1)
hf=$(grep -Eo '^  [0-9]+ failing' "$work/harness.log" | grep -Eo '[0-9]+' | tail -1)
pass=$((pass + ${hp:-0})); fail=$((fail + ${hf:-0}))
[ "$harness_rc" -ne 0 ] && [ -z "$hf" ] && fail=$((fail + 1))

echo
echo "  $pass passing"
[ "$fail" -gt 0 ] && echo "  $fail failing"
[ "$fail" -eq 0 ]
