# Sets up the FastVideo adapter inside WSL2, from Windows (PowerShell 5.1 or 7).
# FastVideo does not run natively on Windows (see docs/setup-windows.md); VS Code starts the adapter
# inside WSL2 (fastVideo.launch = auto/wsl) and reaches it on 127.0.0.1, which WSL2 forwards.
#   pwsh scripts/setup-fastvideo-wsl.ps1 [-Distro Ubuntu-24.04] [-Model ID] [-SkipDownload]
# Steps, each failure naming its fix: WSL2 and the distribution; the NVIDIA GPU inside WSL;
# free disk on the Linux side; then, inside WSL, scripts/setup-fastvideo.sh (Python environment at
# ~/.scene-to-video/venv, the adapter with its gpu extra, the model into a Linux-side
# FASTVIDEO_HOME — not under /mnt/c, which is slow — and the dry run).
param(
  [string]$Distro = '',
  [string]$Model = 'FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers',
  [switch]$SkipDownload
)
$ErrorActionPreference = 'Stop'
function Fail([string]$What, [string]$Fix) { Write-Host "setup-fastvideo-wsl: $What" -ForegroundColor Red; Write-Host "  fix: $Fix"; exit 1 }

if (-not (Get-Command wsl.exe -ErrorAction SilentlyContinue)) { Fail 'WSL is not installed.' 'In an administrator PowerShell: wsl --install   then restart Windows.' }

# `wsl -l -v` prints UTF-16; read it as such.
$prev = [Console]::OutputEncoding
[Console]::OutputEncoding = [System.Text.Encoding]::Unicode
$listing = (wsl.exe -l -v) -join "`n"
[Console]::OutputEncoding = $prev
$distros = @()
foreach ($line in $listing -split "`n") {
  if ($line -match '^\s*(\*)?\s*(\S.*?)\s+(\S+)\s+([12])\s*$' -and $Matches[2] -ne 'NAME') {
    $distros += [pscustomobject]@{ Name = $Matches[2]; Version = [int]$Matches[4]; Default = [bool]$Matches[1] }
  }
}
if (-not $distros) { Fail 'WSL has no Linux distribution.' 'wsl --install -d Ubuntu-24.04' }
$d = if ($Distro) { $distros | Where-Object { $_.Name -ieq $Distro } | Select-Object -First 1 } else { $distros | Where-Object Default | Select-Object -First 1 }
if (-not $d) { Fail "The distribution '$Distro' is not installed (installed: $($distros.Name -join ', '))." 'Pass -Distro with one of those names, or install it: wsl --install -d Ubuntu-24.04' }
if ($d.Version -ne 2) { Fail "'$($d.Name)' runs under WSL1, which has no GPU access." "wsl --set-version $($d.Name) 2" }
Write-Host "WSL2 distribution: $($d.Name)"

$gpu = wsl.exe -d $d.Name --exec nvidia-smi -L 2>$null
if ($LASTEXITCODE -ne 0 -or -not ($gpu -match 'GPU \d')) { Fail "No NVIDIA GPU is visible inside '$($d.Name)'." 'Update the NVIDIA driver on Windows (it provides CUDA inside WSL2; do not install a Linux driver in WSL), then: wsl --shutdown' }
Write-Host "GPU inside WSL: $($gpu | Select-Object -First 1)"

$freeKb = wsl.exe -d $d.Name --exec sh -c 'df -Pk "$HOME" | awk ''NR==2 {print $4}'''
$freeGb = [math]::Floor([double]$freeKb / 1048576)
$need = if ($SkipDownload) { 10 } else { 40 }
if ($freeGb -lt $need) { Fail "Only $freeGb GB free in the WSL home; about $need GB are needed." 'Free space inside WSL, or move the distribution to a larger drive (wsl --export / --import).' }

# The checkout, as WSL sees it. The model and the environment go to the Linux side, not /mnt/c.
$repo = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$drive = $repo.Substring(0, 1).ToLower()
$repoLinux = "/mnt/$drive" + ($repo.Substring(2) -replace '\\', '/')
$argsList = @('--model', $Model)
if ($SkipDownload) { $argsList += '--skip-download' }
Write-Host "Running scripts/setup-fastvideo.sh inside $($d.Name) (from $repoLinux)..."
wsl.exe -d $d.Name --cd '~' --exec env 'FASTVIDEO_HOME=~/.cache/fastvideo' bash "$repoLinux/scripts/setup-fastvideo.sh" @argsList
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
Write-Host ''
Write-Host "Done. In VS Code set fastVideo.launch to 'wsl' (or leave 'auto') and fastVideo.wslDistro to '$($d.Name)', then run 'Scene to Video: Start FastVideo adapter'." -ForegroundColor Green
