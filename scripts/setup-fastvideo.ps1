# PowerShell twin of scripts/setup-fastvideo.sh.
# FastVideo does not run natively on Windows (Linux-only kernels and NCCL, signal.SIGQUIT, exact
# torch pins): on Windows this script sets the adapter up inside WSL2 by calling
# scripts/setup-fastvideo-wsl.ps1; on Linux (PowerShell 7) it runs the .sh twin.
#   pwsh scripts/setup-fastvideo.ps1 [-Model ID] [-SkipDownload] [-Wsl] [-Distro Ubuntu-24.04]
param(
  [string]$Model = 'FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers',
  [switch]$SkipDownload,
  [switch]$Wsl,
  [string]$Distro = ''
)
$ErrorActionPreference = 'Stop'
$isWin = ($IsWindows -or $env:OS -eq 'Windows_NT')
if ($isWin -or $Wsl) {
  $wslScript = Join-Path $PSScriptRoot 'setup-fastvideo-wsl.ps1'
  if (-not (Test-Path $wslScript)) { Write-Error 'scripts/setup-fastvideo-wsl.ps1 is missing from this checkout.'; exit 1 }
  & $wslScript -Model $Model -SkipDownload:$SkipDownload -Distro $Distro
  exit $LASTEXITCODE
}
$argsList = @('--model', $Model)
if ($SkipDownload) { $argsList += '--skip-download' }
bash (Join-Path $PSScriptRoot 'setup-fastvideo.sh') @argsList
exit $LASTEXITCODE
