# Sets up the FastVideo adapter inside WSL2, from Windows (Windows PowerShell 5.1 or PowerShell 7).
# FastVideo does not run natively on Windows (docs/setup-windows.md says why); VS Code starts the
# adapter inside WSL2 (fastVideo.launch = auto/wsl) and reaches it on 127.0.0.1, which WSL2 forwards.
#
#   powershell -ExecutionPolicy Bypass -File scripts\setup-fastvideo-wsl.ps1 [-Distro Ubuntu-24.04]
#       [-Model ID] [-FastVideoHome /linux/path] [-SkipDownload]
#
# Steps, each failure naming its fix:
#   1. WSL is installed and answers; the distribution exists and runs under WSL2 (`wsl -l -v`)
#   2. the NVIDIA GPU is visible inside it (`nvidia-smi -L`, from the Windows driver)
#   3. free disk: inside the distribution and on the Windows drive that holds its virtual disk
#   4. a copy of the adapter (python/) and scripts/setup-fastvideo.sh on the Linux side
#      (~/.scene-to-video/src; line endings fixed, so a CRLF checkout works), then that script:
#      the environment at ~/.scene-to-video/venv, the adapter with its gpu extra, the model into a
#      Linux-side FASTVIDEO_HOME (default ~/.cache/fastvideo, never /mnt/c: WSL reads the Windows
#      disk slowly), and the adapter's dry run.
param(
  [string]$Distro = '',
  [string]$Model = 'FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers',
  [string]$FastVideoHome = '',
  [switch]$SkipDownload
)
Set-StrictMode -Version 2
# Not 'Stop': Windows PowerShell 5.1 turns a native program's stderr into terminating errors under
# it. Every native call below checks $LASTEXITCODE instead.
$ErrorActionPreference = 'Continue'

# What this script changes in the session, put back before it ends (it may run with `.\`).
$saved = @{ Utf8 = $env:WSL_UTF8; WslEnv = $env:WSLENV; Encoding = $null }
try { $saved.Encoding = [Console]::OutputEncoding } catch { }
function Restore {
  $env:WSL_UTF8 = $saved.Utf8
  $env:WSLENV = $saved.WslEnv
  if ($saved.Encoding) { try { [Console]::OutputEncoding = $saved.Encoding } catch { } }
}
function Fail([string]$What, [string]$Fix) {
  Write-Host "setup-fastvideo-wsl: $What" -ForegroundColor Red
  Write-Host "  fix: $Fix"
  Restore
  exit 1
}

# wsl.exe prints UTF-16 unless WSL_UTF8=1 is honoured (WSL 0.64+). Ask for UTF-8, read UTF-8, and
# drop the NULs and byte-order marks an older wsl.exe leaves when it ignores the request.
$env:WSL_UTF8 = '1'
try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }
function Clean([object[]]$Lines) {
  @($Lines | Where-Object { $null -ne $_ } | ForEach-Object { ("$_" -replace '[\x00\uFEFF\uFFFD]', '').TrimEnd() })
}

# Runs a POSIX sh script inside the distribution, with arguments. The script travels base64-encoded,
# so no shell and neither PowerShell edition re-reads its quotes; the arguments are plain argv.
function Invoke-InWsl([string]$Name, [string]$Script, [string[]]$Arguments = @()) {
  $bytes = [System.Text.Encoding]::UTF8.GetBytes(($Script -replace "`r", ''))
  $b64 = [Convert]::ToBase64String($bytes)
  $runner = 'f=$(mktemp) && echo ' + $b64 + ' | base64 -d > $f && trap ''rm -f $f'' EXIT && . $f'
  & wsl.exe -d $Name --cd '~' --exec sh -c $runner stv-setup @Arguments
}

# --- 1. WSL and the distribution -----------------------------------------------------------------
if (-not (Get-Command wsl.exe -ErrorAction SilentlyContinue)) {
  Fail 'WSL is not installed (wsl.exe not found).' 'In an administrator PowerShell: wsl --install   then restart Windows.'
}
$listing = Clean (& wsl.exe -l -v)
if ($LASTEXITCODE -ne 0) {
  $said = ($listing | Where-Object { $_ } | Select-Object -First 2) -join ' '
  Fail "WSL has no usable Linux distribution (wsl -l -v: $said)." 'Install one: wsl --install -d Ubuntu-24.04   (if -v is unknown, update WSL first: wsl --update)'
}
$distros = @()
foreach ($line in $listing) {
  # NAME STATE VERSION, the default marked with *; names have no spaces.
  if ($line -match '^\s*(\*)?\s*(\S+)\s+(\S.*?)\s+([12])\s*$') {
    $distros += New-Object PSObject -Property @{ Name = $Matches[2]; Version = [int]$Matches[4]; IsDefault = ($Matches[1] -eq '*') }
  }
}
if ($distros.Count -eq 0) { Fail 'WSL has no Linux distribution.' 'wsl --install -d Ubuntu-24.04' }
if ($Distro) {
  $d = $distros | Where-Object { $_.Name -ieq $Distro } | Select-Object -First 1
  if (-not $d) { Fail "The distribution '$Distro' is not installed (installed: $(($distros | ForEach-Object { $_.Name }) -join ', '))." 'Pass -Distro with one of those names, or install it: wsl --install -d Ubuntu-24.04' }
} else {
  $d = $distros | Where-Object { $_.IsDefault } | Select-Object -First 1
  if (-not $d) { $d = $distros[0] }
}
if ($d.Version -ne 2) { Fail "'$($d.Name)' runs under WSL1, which has no GPU access." "wsl --set-version $($d.Name) 2   (takes a few minutes)" }
Write-Host "WSL2 distribution: $($d.Name)"

# --- 2. The GPU inside WSL -----------------------------------------------------------------------
# The Windows NVIDIA driver provides nvidia-smi in /usr/lib/wsl/lib; WSL adds that folder to PATH
# unless wsl.conf turns it off ([gpu] appendGpuLibPath), so add it here too.
$gpu = Clean (Invoke-InWsl $d.Name 'PATH=$PATH:/usr/lib/wsl/lib; nvidia-smi -L 2>&1')
$gpuLine = $gpu | Where-Object { $_ -match '^GPU \d+:' } | Select-Object -First 1
if ($LASTEXITCODE -ne 0 -or -not $gpuLine) {
  Fail "No NVIDIA GPU is visible inside '$($d.Name)' ($(($gpu | Select-Object -First 1)))." 'Update the NVIDIA driver on Windows (it provides CUDA inside WSL2; do not install a Linux NVIDIA driver in WSL), then run: wsl --shutdown'
}
Write-Host "GPU inside WSL: $gpuLine"

# --- 3. Where the model goes, and free disk ------------------------------------------------------
if ($FastVideoHome) {
  if (-not ($FastVideoHome.StartsWith('/') -or $FastVideoHome.StartsWith('~/'))) { Fail "-FastVideoHome must be a Linux path (/home/... or ~/...), not '$FastVideoHome'." 'Give a folder inside the distribution, e.g. -FastVideoHome ~/models' }
  if ($FastVideoHome -match '^/mnt/[a-zA-Z](/|$)') { Fail "-FastVideoHome '$FastVideoHome' is on the Windows disk, which WSL reads slowly (model loading takes minutes longer)." 'Use a folder inside the distribution, e.g. ~/.cache/fastvideo (the default).' }
}
# Windows PowerShell 5.1 drops empty arguments to programs, so "the default" travels as '-'.
$fvArg = if ($FastVideoHome) { $FastVideoHome } else { '-' }
$needGb = if ($SkipDownload) { 10 } else { 40 }
$free = Clean (Invoke-InWsl $d.Name @'
fv="$1"; [ "$fv" = - ] && fv="$HOME/.cache/fastvideo"
case "$fv" in "~/"*) fv="$HOME/${fv#\~/}" ;; esac
mkdir -p "$fv" && df -Pk "$fv" | awk 'NR==2 {print int($4/1048576)}'
'@ @($fvArg))
$freeGb = 0
if ($LASTEXITCODE -ne 0 -or -not [int]::TryParse((@($free) | Select-Object -Last 1), [ref]$freeGb)) { Fail "Could not check free disk inside '$($d.Name)' ($($free -join ' '))." "Open the distribution (wsl -d $($d.Name)) and check that your home folder is writable." }
if ($freeGb -lt $needGb) { Fail "Only $freeGb GB free inside '$($d.Name)'; about $needGb GB are needed (model ~30 GB, environment ~8 GB)." 'Free space inside WSL, or pass -FastVideoHome with a folder on a larger Linux disk.' }
# The distribution's virtual disk grows on a Windows drive, which must have the room too.
try {
  $lxss = Get-ChildItem 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Lxss' -ErrorAction Stop | ForEach-Object { Get-ItemProperty $_.PSPath } | Where-Object { $_.DistributionName -ieq $d.Name } | Select-Object -First 1
  if ($lxss -and $lxss.BasePath) {
    $base = $lxss.BasePath -replace '^\\\\\?\\', ''
    $drive = New-Object System.IO.DriveInfo ([System.IO.Path]::GetPathRoot($base))
    $hostFreeGb = [math]::Floor($drive.AvailableFreeSpace / 1073741824)
    if ($hostFreeGb -lt $needGb) { Fail "Only $hostFreeGb GB free on $($drive.Name), which holds the virtual disk of '$($d.Name)'; about $needGb GB are needed." "Free space on $($drive.Name), or move the distribution to a larger drive: wsl --export $($d.Name) x.tar; wsl --unregister $($d.Name); wsl --import $($d.Name) D:\WSL\$($d.Name) x.tar" }
    Write-Host "Free disk: $freeGb GB inside WSL, $hostFreeGb GB on $($drive.Name) (its virtual disk)"
  }
} catch {
  Write-Host "note: could not read where '$($d.Name)' keeps its virtual disk; make sure that drive has $needGb GB free."
}

# --- 4. The adapter on the Linux side, then scripts/setup-fastvideo.sh -----------------------------
$repo = (Resolve-Path (Join-Path $PSScriptRoot '..')).ProviderPath
$repoLinux = Clean (& wsl.exe -d $d.Name --exec wslpath -u $repo)
if ($LASTEXITCODE -ne 0 -or -not $repoLinux) { Fail "WSL cannot see this checkout ($repo)." 'Clone the repository to a local drive (C:\...) or inside WSL, then run this script from there.' }
$repoLinux = @($repoLinux)[0]
Write-Host "Copying the adapter from $repoLinux into ~/.scene-to-video/src inside $($d.Name)..."
Invoke-InWsl $d.Name @'
set -e
src="$1"; stage="$HOME/.scene-to-video/src"
[ -f "$src/python/pyproject.toml" ] && [ -f "$src/scripts/setup-fastvideo.sh" ] || { echo "not a Scene to Video checkout: $src" >&2; exit 3; }
rm -rf "$stage"; mkdir -p "$stage/scripts"
tar -C "$src" --exclude=.venv --exclude=__pycache__ --exclude='*.egg-info' --exclude=build --exclude=.pytest_cache -cf - python | tar -C "$stage" -xf -
# A Windows checkout may have CRLF line endings, which bash refuses.
sed 's/\r$//' "$src/scripts/setup-fastvideo.sh" > "$stage/scripts/setup-fastvideo.sh"
chmod +x "$stage/scripts/setup-fastvideo.sh"
'@ @($repoLinux)
if ($LASTEXITCODE -ne 0) { Fail 'Copying the adapter into WSL failed (see the message above).' "Check free space and permissions in your WSL home (wsl -d $($d.Name))." }

if ($env:HF_TOKEN) { $env:WSLENV = (@($env:WSLENV, 'HF_TOKEN/u') | Where-Object { $_ }) -join ':' }  # gated models
$setupArgs = @($fvArg, '--model', $Model)
if ($SkipDownload) { $setupArgs += '--skip-download' }
Write-Host "Running scripts/setup-fastvideo.sh inside $($d.Name) (environment, FastVideo, model, dry run; this takes a while)..."
Invoke-InWsl $d.Name @'
fv="$1"; shift
case "$fv" in "~/"*) fv="$HOME/${fv#\~/}" ;; esac
[ "$fv" != - ] && export FASTVIDEO_HOME="$fv"
export PATH="$PATH:/usr/lib/wsl/lib"
exec bash "$HOME/.scene-to-video/src/scripts/setup-fastvideo.sh" "$@"
'@ $setupArgs
if ($LASTEXITCODE -ne 0) { Fail "scripts/setup-fastvideo.sh stopped inside $($d.Name) (exit code $LASTEXITCODE)." 'Read its message just above: it names the fix. Then run this script again; the download resumes.' }

Restore
Write-Host ''
Write-Host 'Done. In VS Code leave fastVideo.launch on "auto" (or set "wsl"), set fastVideo.wslDistro to' -ForegroundColor Green
Write-Host "'$($d.Name)' unless it is your default distribution, and run 'Scene to Video: Start FastVideo adapter'." -ForegroundColor Green
if ($FastVideoHome) {
  $name = ($Model -split '/')[-1]
  Write-Host "The model is in $FastVideoHome/$name: set fastVideo.modelPath to that folder (the adapter looks in ~/.cache/fastvideo otherwise)." -ForegroundColor Yellow
}
