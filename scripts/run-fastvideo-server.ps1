# PowerShell twin of scripts/run-fastvideo-server.sh: runs the adapter on 127.0.0.1.
#   pwsh scripts/run-fastvideo-server.ps1 [-Backend fastvideo|preview] [-Port 8055] [-DryRun] [extra serve flags]
# Environment: STV_PYTHON, FASTVIDEO_MODEL, FASTVIDEO_MODEL_PATH, FASTVIDEO_HOME, HF_HOME,
# FASTVIDEO_ATTENTION_BACKEND, STV_ADAPTER_TOKEN (see the .sh twin). On Windows, FastVideo itself
# runs under WSL2: see docs/setup-windows.md; natively only the preview backend works.
param(
  [ValidateSet('fastvideo', 'preview')][string]$Backend = 'fastvideo',
  [int]$Port = $(if ($env:STV_ADAPTER_PORT) { [int]$env:STV_ADAPTER_PORT } else { 8055 }),
  [switch]$DryRun,
  [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest
)
$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..')
$isWin = ($IsWindows -or $env:OS -eq 'Windows_NT')
$py = $env:STV_PYTHON
if (-not $py) {
  $home_ = if ($env:STV_HOME) { $env:STV_HOME } elseif ($isWin) { Join-Path $env:LOCALAPPDATA 'SceneToVideo' } else { Join-Path $HOME '.scene-to-video' }
  $candidates = if ($isWin) { @((Join-Path $root 'python\.venv\Scripts\python.exe'), (Join-Path $home_ 'venv\Scripts\python.exe')) } else { @((Join-Path $root 'python/.venv/bin/python'), (Join-Path $home_ 'venv/bin/python')) }
  $py = $candidates | Where-Object { Test-Path $_ } | Select-Object -First 1
}
if (-not $py) { Write-Error 'No adapter environment found. Run scripts/setup-fastvideo.ps1 (GPU) or scripts/bootstrap.ps1 (preview only) first.'; exit 1 }
$argsList = @('-m', 'stv_adapter', 'serve', '--host', '127.0.0.1', '--port', "$Port", '--backend', $Backend)
if ($DryRun) { $argsList += '--dry-run' }
if ($Rest) { $argsList += $Rest }
& $py @argsList
exit $LASTEXITCODE
