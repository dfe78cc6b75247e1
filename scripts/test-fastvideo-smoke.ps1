# PowerShell twin of scripts/test-fastvideo-smoke.sh: start the adapter, post a minimal payload,
# check the MP4 decodes with the requested frames/size/fps, print timings, stop it.
#   pwsh scripts/test-fastvideo-smoke.ps1 [-Backend preview|fastvideo]
#   pwsh scripts/test-fastvideo-smoke.ps1 -Model <folder> [-Cpu]
# -Model renders with the fastvideo backend from a local model folder named like its hub repository
# (real weights, or python/tests/tiny_wan.py's tiny model); -Cpu is the tiny model's CPU test tooling
# (FastVideo's CPU patch on PYTHONPATH, offload off, TORCH_SDPA, 256x256x9 in 2 steps). See the .sh.
param([ValidateSet('preview', 'fastvideo')][string]$Backend = 'preview', [string]$Model = '', [switch]$Cpu)
$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..')
$isWin = ($IsWindows -or $env:OS -eq 'Windows_NT')
$py = $env:STV_PYTHON
if (-not $py) {
  $home_ = if ($env:STV_HOME) { $env:STV_HOME } elseif ($isWin) { Join-Path $env:LOCALAPPDATA 'SceneToVideo' } else { Join-Path $HOME '.scene-to-video' }
  $candidates = if ($isWin) { @((Join-Path $root 'python\.venv\Scripts\python.exe'), (Join-Path $home_ 'venv\Scripts\python.exe')) } else { @((Join-Path $root 'python/.venv/bin/python'), (Join-Path $home_ 'venv/bin/python')) }
  $py = $candidates | Where-Object { Test-Path $_ } | Select-Object -First 1
}
if (-not $py) { Write-Error 'No adapter environment: run scripts/bootstrap.ps1 or scripts/setup-fastvideo.ps1.'; exit 1 }
$serveArgs = @('--backend', $Backend)
$request = @{ prompt = 'smoke test: a lighthouse at dusk'; width = 832; height = 480; numFrames = 33; fps = 16; seed = 1 }
if ($Model) {
  if (-not (Test-Path (Join-Path $Model 'model_index.json'))) { Write-Error "$Model is not a model folder (no model_index.json)."; exit 2 }
  $Model = (Resolve-Path $Model).Path
  $Backend = 'fastvideo'
  $modelId = if ((Split-Path $Model -Leaf).ToLower().StartsWith('fastwan')) { 'FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers' } else { 'Wan-AI/Wan2.2-TI2V-5B-Diffusers' }
  $serveArgs = @('--backend', 'fastvideo', '--model', $modelId, '--model-path', $Model)
}
$sep = [System.IO.Path]::PathSeparator
if ($Cpu) {
  $env:PYTHONPATH = (Join-Path $root 'python/tests/fastvideo_cpu') + $(if ($env:PYTHONPATH) { "$sep$env:PYTHONPATH" } else { '' })
  $env:HF_HUB_OFFLINE = '1'
  $serveArgs += @('--attention-backend', 'TORCH_SDPA', '--no-dit-cpu-offload', '--no-vae-cpu-offload', '--no-text-encoder-cpu-offload')
  $request = @{ prompt = 'smoke test: a lighthouse at dusk'; width = 256; height = 256; numFrames = 9; fps = 8; seed = 1; steps = 2 }
}
# The repository's adapter, for a Python that has FastVideo but not the adapter installed.
$env:PYTHONPATH = $(if ($env:PYTHONPATH) { "$env:PYTHONPATH$sep" } else { '' }) + (Join-Path $root 'python')
$port = & $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
$out = Join-Path ([System.IO.Path]::GetTempPath()) ("stv-smoke-" + [guid]::NewGuid())
New-Item -ItemType Directory $out | Out-Null
$proc = Start-Process -FilePath $py -ArgumentList (@('-m', 'stv_adapter', 'serve', '--host', '127.0.0.1', '--port', $port) + $serveArgs + @('--output-root', $out, '--artifacts-dir', (Join-Path $out 'artifacts'))) -PassThru -NoNewWindow -RedirectStandardError (Join-Path $out 'adapter.log')
try {
  $base = "http://127.0.0.1:$port"
  $deadline = (Get-Date).AddSeconds($(if ($Backend -eq 'fastvideo') { 900 } else { 60 }))
  while ($true) {
    try { $h = Invoke-RestMethod "$base/health" -TimeoutSec 2; if ($h.status -eq 'ok') { break }; if ($h.status -eq 'error') { throw "adapter error: $($h.error.message)" } } catch [System.Net.WebException], [System.Net.Http.HttpRequestException] { }
    if ((Get-Date) -gt $deadline) { throw 'adapter did not become ready' }
    Start-Sleep -Milliseconds 500
  }
  $body = $request | ConvertTo-Json
  $sw = [System.Diagnostics.Stopwatch]::StartNew()
  $res = Invoke-RestMethod "$base/generate" -Method Post -Body $body -ContentType 'application/json' -TimeoutSec 1800
  $sw.Stop()
  $check = & $py -c "import imageio_ffmpeg,sys,json; r=imageio_ffmpeg.read_frames(sys.argv[1]); m=next(r); print(json.dumps({'codec': m.get('codec'), 'frames': sum(1 for _ in r), 'size': m['size'], 'fps': m['fps']}))" $res.outputVideoPath | ConvertFrom-Json
  [pscustomobject]@{ backend = $Backend; video = $res.outputVideoPath; codec = $check.codec; decodedFrames = $check.frames; size = ($check.size -join 'x'); fps = $check.fps; wallSeconds = [math]::Round($sw.Elapsed.TotalSeconds, 2); totalMs = $res.timings.totalMs } | Format-List
  if ($check.codec -eq 'h264' -and $check.frames -eq $res.frames -and $check.frames -eq $request.numFrames -and $check.size[0] -eq $request.width -and $check.size[1] -eq $request.height -and [math]::Round($check.fps) -eq $request.fps) { Write-Host 'SMOKE TEST PASSED' -ForegroundColor Green; exit 0 }
  Write-Host 'SMOKE TEST FAILED' -ForegroundColor Red; exit 1
} finally {
  Stop-Process -Id $proc.Id -ErrorAction SilentlyContinue
  Remove-Item -Recurse -Force $out -ErrorAction SilentlyContinue
}
