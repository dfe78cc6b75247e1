# PowerShell twin of scripts/comfyui-real-check.sh: renders the sample's first scene through a real
# ComfyUI with the model-free workflow and checks the MP4. Start ComfyUI yourself on loopback first.
#   $env:COMFYUI_URL='http://127.0.0.1:8188'; pwsh scripts/comfyui-real-check.ps1
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')
$url = if ($env:COMFYUI_URL) { $env:COMFYUI_URL } else { 'http://127.0.0.1:8188' }
& (Join-Path $PSScriptRoot 'bootstrap.ps1')
npm run --silent build | Out-Null
$out = Join-Path ([System.IO.Path]::GetTempPath()) ("stv-comfy-" + [guid]::NewGuid())
try {
  node dist/cli.js render media/sample/sample.timeline.json --scene lighthouse --provider comfyui-local --endpoint $url `
    --workflow test/fixtures/comfyui/model-free.workflow.json --mapping test/fixtures/comfyui/model-free.mapping.json --output $out --json
  if ($LASTEXITCODE) { exit $LASTEXITCODE }
  $video = Get-ChildItem -Recurse -Filter *.mp4 $out | Select-Object -First 1
  if (-not $video) { Write-Error 'no MP4 was written'; exit 1 }
  $py = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'python\.venv\Scripts\python.exe' } else { 'python/.venv/bin/python' }
  & $py -c "import imageio_ffmpeg,sys; r=imageio_ffmpeg.read_frames(sys.argv[1]); m=next(r); n=sum(1 for _ in r); print(m['codec'], m['size'], m['fps'], n); sys.exit(0 if n==33 else 1)" $video.FullName
  if ($LASTEXITCODE) { exit $LASTEXITCODE }
  Write-Host 'REAL COMFYUI CHECK PASSED'
} finally { Remove-Item -Recurse -Force $out -ErrorAction SilentlyContinue }
