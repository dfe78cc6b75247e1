# PowerShell twin of scripts/comfyui-real-check.sh: checks the ComfyUI provider against a REAL
# ComfyUI with workflows that need no model files (a CPU-only ComfyUI runs them): a CLI render of
# the sample's first scene checked with ffprobe, then test/unit/comfyui-real.test.ts (progress,
# errors, cancel while running and while queued, a dropped WebSocket). It does not install or
# start ComfyUI: start one yourself on loopback first, e.g.
#   python main.py --cpu --listen 127.0.0.1 --port 8188
#   $env:COMFYUI_URL='http://127.0.0.1:8188'; pwsh scripts/comfyui-real-check.ps1
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')
$url = if ($env:COMFYUI_URL) { $env:COMFYUI_URL.TrimEnd('/') } else { 'http://127.0.0.1:8188' }

try {
  $stats = Invoke-RestMethod -Uri "$url/system_stats" -TimeoutSec 5
  Write-Host "ComfyUI $($stats.system.comfyui_version) at $url on $($stats.devices[0].name)"
} catch {
  Write-Error "No ComfyUI answers at $url. Start one (python main.py --cpu --listen 127.0.0.1 --port 8188) or set COMFYUI_URL."
  exit 2
}
if (-not (Get-Command ffprobe -ErrorAction SilentlyContinue)) { Write-Error 'ffprobe is needed to check the MP4 (install ffmpeg).'; exit 2 }

& (Join-Path $PSScriptRoot 'bootstrap.ps1')
npm run --silent build | Out-Null
if ($LASTEXITCODE) { exit $LASTEXITCODE }

$out = Join-Path ([System.IO.Path]::GetTempPath()) ("stv-comfy-" + [guid]::NewGuid())
try {
  Write-Host "== 1. CLI render through $url with the model-free workflow"
  $log = node dist/cli.js render media/sample/sample.timeline.json --scene lighthouse --provider comfyui-local --endpoint $url `
    --workflow test/fixtures/comfyui/model-free.workflow.json --mapping test/fixtures/comfyui/model-free.mapping.json --output $out --json
  if ($LASTEXITCODE) { exit $LASTEXITCODE }
  $log | Write-Host
  $video = Get-ChildItem -Recurse -Filter *.mp4 $out | Select-Object -First 1
  if (-not $video) { Write-Error 'no MP4 was written'; exit 1 }
  $probe = (ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=codec_name,width,height,nb_read_frames,avg_frame_rate -of csv=p=0 $video.FullName).Trim()
  Write-Host "$($video.FullName): $probe"
  if ($probe -ne 'h264,640,352,16/1,33') { Write-Error 'expected h264,640,352,16/1,33 (codec,width,height,fps,frames)'; exit 1 }
  if (-not ($log -match '"stage":"saving"')) { Write-Error "no progress from ComfyUI's /ws in the CLI's output"; exit 1 }

  Write-Host "== 2. provider tests against $url (render, progress, errors, cancel, reconnect)"
  npm run --silent compile-tests
  if ($LASTEXITCODE) { exit $LASTEXITCODE }
  $env:COMFYUI_URL = $url
  npx mocha --no-config --timeout 300000 --enable-source-maps out/test/unit/comfyui-real.test.js
  if ($LASTEXITCODE) { exit $LASTEXITCODE }
  Write-Host 'REAL COMFYUI CHECK PASSED'
} finally { Remove-Item -Recurse -Force $out -ErrorAction SilentlyContinue }
