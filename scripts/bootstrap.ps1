# PowerShell twin of scripts/bootstrap.sh: Node packages from the lockfile and the adapter's
# Python environment (python\.venv), re-running only what changed.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')

if (-not (Get-Command node -ErrorAction SilentlyContinue)) { Write-Error 'Node.js 20.18 or newer is required (https://nodejs.org).'; exit 1 }
$nodeVersion = [version]((node --version).TrimStart('v'))
if ($nodeVersion -lt [version]'20.18.0') { Write-Error "Node.js $nodeVersion is too old: Scene to Video needs 20.18 or newer."; exit 1 }
$lockStamp = 'node_modules/.package-lock.json'
if (-not (Test-Path $lockStamp) -or (Get-Item 'package-lock.json').LastWriteTime -gt (Get-Item $lockStamp).LastWriteTime) {
  Write-Host '[bootstrap] installing Node packages (npm ci)'
  npm ci --no-audit --no-fund --loglevel=error
  if ($LASTEXITCODE) { exit $LASTEXITCODE }
}

$isWin = ($IsWindows -or $env:OS -eq 'Windows_NT')
$py = $env:STV_PYTHON
if (-not $py) {
  $candidates = if ($isWin) { @('py -3.12', 'py -3.11', 'py -3.10', 'python') } else { @('python3.12', 'python3.11', 'python3.10', 'python3') }
  foreach ($c in $candidates) {
    $parts = $c.Split(' ')
    $exe = $parts[0]; $rest = @($parts | Select-Object -Skip 1)
    if (-not (Get-Command $exe -ErrorAction SilentlyContinue)) { continue }
    & $exe @rest -c 'import sys; sys.exit(0 if (3,10)<=sys.version_info[:2]<=(3,12) else 1)' 2>$null
    if ($LASTEXITCODE -eq 0) { $py = $c; break }
  }
}
if (-not $py) { Write-Error 'Python 3.10, 3.11 or 3.12 is required for the adapter (FastVideo supports these).'; exit 1 }
$venv = 'python/.venv'
$venvPython = if ($isWin) { Join-Path $venv 'Scripts/python.exe' } else { Join-Path $venv 'bin/python' }
if (-not (Test-Path $venvPython)) {
  Write-Host "[bootstrap] creating $venv with $py"
  $parts = $py.Split(' '); & $parts[0] @($parts | Select-Object -Skip 1) -m venv $venv
  if ($LASTEXITCODE) { exit $LASTEXITCODE }
}
$stamp = Join-Path $venv '.stv-installed'
if (-not (Test-Path $stamp) -or (Get-Item 'python/pyproject.toml').LastWriteTime -gt (Get-Item $stamp).LastWriteTime) {
  Write-Host "[bootstrap] installing the adapter and its dev tools into $venv"
  & $venvPython -m pip install --disable-pip-version-check -q --upgrade pip
  & $venvPython -m pip install --disable-pip-version-check -q -e 'python[dev]'
  if ($LASTEXITCODE) { exit $LASTEXITCODE }
  # The cluster extra (ray) for python/tests/test_cluster.py, as bootstrap.sh installs it. Ray's
  # Windows wheels lag behind Linux's: without one the cluster tests are skipped, saying why.
  & $venvPython -m pip install --disable-pip-version-check -q -e 'python[dev,cluster]'
  if ($LASTEXITCODE) { Write-Warning "[bootstrap] Ray (the adapter's cluster extra) did not install; the cluster tests will be skipped." }
  New-Item -ItemType File -Force $stamp | Out-Null
}
