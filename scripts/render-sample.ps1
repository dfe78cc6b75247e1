# PowerShell twin of scripts/render-sample.sh: renders media/sample/sample.timeline.json to MP4s.
# Uses a FastVideo adapter already running at http://127.0.0.1:8055 if there is one; otherwise
# starts one with the CPU preview backend (not AI) for this run. $env:STV_BACKEND='fastvideo' for the model.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')
& (Join-Path $PSScriptRoot 'bootstrap.ps1')
if ($LASTEXITCODE) { exit $LASTEXITCODE }
npm run --silent build | Out-Null
if ($LASTEXITCODE) { exit $LASTEXITCODE }
$backend = if ($env:STV_BACKEND) { $env:STV_BACKEND } else { 'preview' }
node dist/cli.js render media/sample/sample.timeline.json --provider fastvideo-local --backend $backend @args
exit $LASTEXITCODE
