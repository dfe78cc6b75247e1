# PowerShell twin of scripts/test.sh: every test the project has, in one run.
# On Windows the real-VS-Code layer (code-server + Debian Chromium) is skipped: it runs in CI on Linux.
# Usage: pwsh scripts/test.ps1
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')

& (Join-Path $PSScriptRoot 'bootstrap.ps1')
if ($LASTEXITCODE) { exit $LASTEXITCODE }

$failedParts = @()
function Invoke-Part([string]$Name, [scriptblock]$Body) {
  Write-Host "`n== $Name" -ForegroundColor Cyan
  & $Body
  if ($LASTEXITCODE) { $script:failedParts += $Name }
}

Invoke-Part 'lint (eslint)' { npx eslint . --max-warnings 0 }
Invoke-Part 'type-check (tsc)' { npm run --silent typecheck }
Invoke-Part 'build (esbuild)' { npm run --silent build }
Invoke-Part 'compile tests (tsc)' { npm run --silent compile-tests }
Invoke-Part 'unit tests (mocha)' { npx mocha }
$venvPython = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'python\.venv\Scripts\python.exe' } else { 'python/.venv/bin/python' }
Invoke-Part 'adapter lint (ruff) and types (mypy --strict)' { Push-Location python; try { & (Join-Path '..' $venvPython) -m ruff check . ../bench; if (-not $LASTEXITCODE) { & (Join-Path '..' $venvPython) -m mypy } } finally { Pop-Location } }
Invoke-Part 'adapter tests (pytest)' { Push-Location python; try { & (Join-Path '..' $venvPython) -m pytest -q -p no:cacheprovider } finally { Pop-Location } }
if (-not ($IsWindows -or $env:OS -eq 'Windows_NT') -and $env:STV_SKIP_VSCODE -ne '1') {
  Invoke-Part 'VS Code tests (extension host + Playwright)' { bash scripts/vscode-tests.sh }
}

if ($failedParts.Count) { Write-Host "FAILED: $($failedParts -join ', ')" -ForegroundColor Red; exit 1 }
Write-Host 'All parts passed.' -ForegroundColor Green
