/**
 * scripts/setup-fastvideo-wsl.ps1 cannot run here (no PowerShell, no WSL). Its Linux side can:
 * the POSIX sh snippets it sends into the distribution are taken from the .ps1 itself and run by
 * a real sh (dash) through the same base64 runner line the script builds, with a temporary HOME.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const PS1 = readFileSync(path.join(__dirname, '..', '..', '..', 'scripts', 'setup-fastvideo-wsl.ps1'), 'utf8');

/** The single-quoted here-strings (@'...'@) in the .ps1, in order. */
const snippets = [...PS1.matchAll(/@'\r?\n([\s\S]*?)\r?\n'@/g)].map((m) => m[1] as string);

/** The runner exactly as Invoke-InWsl builds it: 'prefix' + $b64 + 'suffix' (PowerShell's '' is '). */
function runner(script: string): string {
  const m = /\$runner = '(.*?)' \+ \$b64 \+ '(.*)'\r?\n/.exec(PS1);
  if (!m) throw new Error('runner line not found in the .ps1');
  const unq = (s: string) => s.replace(/''/g, "'");
  return unq(m[1] as string) + Buffer.from(script.replace(/\r/g, ''), 'utf8').toString('base64') + unq(m[2] as string);
}

describe('setup-fastvideo-wsl.ps1: the Linux side, run by a real sh', () => {
  let home: string;
  const sh = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync('sh', ['-c', runner(script), 'stv-setup', ...args], {
      cwd: home,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: home, ...env },
    });

  before(function () {
    if (spawnSync('sh', ['-c', 'command -v base64 mktemp tar sed awk df'], { encoding: 'utf8' }).status !== 0)
      this.skip(); // needs a POSIX sh with coreutils
  });
  beforeEach(() => {
    home = mkdtempSync(path.join(tmpdir(), 'stv-wslhome-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('has the three snippets it sends: free disk, copy, run', () => {
    assert.equal(snippets.length, 3);
    assert.match(snippets[0] as string, /df -Pk/);
    assert.match(snippets[1] as string, /tar -C/);
    assert.match(snippets[2] as string, /setup-fastvideo\.sh/);
  });

  it('free disk: creates the model folder (default, ~/..., absolute) and prints whole GB', () => {
    for (const [arg, dir] of [
      ['-', path.join(home, '.cache', 'fastvideo')],
      ['~/models', path.join(home, 'models')],
      [path.join(home, 'abs dir'), path.join(home, 'abs dir')],
    ] as const) {
      const r = sh(snippets[0] as string, [arg]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout.trim(), /^\d+$/);
      assert.ok(existsSync(dir), dir);
    }
  });

  it('copy: python/ without .venv and caches, and setup-fastvideo.sh with its CRLF line endings fixed', () => {
    const src = path.join(home, 'mnt', 'c', 'Users', 'Ana Lia', 'scene to video');
    mkdirSync(path.join(src, 'python', '.venv', 'Scripts'), { recursive: true });
    mkdirSync(path.join(src, 'python', 'stv_adapter', '__pycache__'), { recursive: true });
    mkdirSync(path.join(src, 'scripts'), { recursive: true });
    writeFileSync(path.join(src, 'python', 'pyproject.toml'), '[project]\r\nname = "stv-adapter"\r\n');
    writeFileSync(path.join(src, 'python', 'stv_adapter', '__init__.py'), '');
    writeFileSync(path.join(src, 'python', 'stv_adapter', '__pycache__', 'x.pyc'), 'x');
    writeFileSync(path.join(src, 'python', '.venv', 'Scripts', 'python.exe'), 'MZ');
    writeFileSync(path.join(src, 'scripts', 'setup-fastvideo.sh'), '#!/usr/bin/env bash\r\necho "ok $1"\r\n');
    const r = sh(snippets[1] as string, [src]);
    assert.equal(r.status, 0, r.stderr);
    const stage = path.join(home, '.scene-to-video', 'src');
    assert.ok(existsSync(path.join(stage, 'python', 'pyproject.toml')));
    assert.ok(existsSync(path.join(stage, 'python', 'stv_adapter', '__init__.py')));
    assert.ok(!existsSync(path.join(stage, 'python', '.venv')));
    assert.ok(!existsSync(path.join(stage, 'python', 'stv_adapter', '__pycache__')));
    const script = path.join(stage, 'scripts', 'setup-fastvideo.sh');
    assert.ok(!readFileSync(script, 'utf8').includes('\r'));
    assert.equal(execFileSync('bash', [script, 'x'], { encoding: 'utf8' }), 'ok x\n');
  });

  it('copy: refuses a folder that is not a checkout, with a message', () => {
    const r = sh(snippets[1] as string, [home]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /not a Scene to Video checkout/);
  });

  it('run: FASTVIDEO_HOME set only when asked (~ expanded), arguments passed through, exit code kept', () => {
    const stage = path.join(home, '.scene-to-video', 'src', 'scripts');
    mkdirSync(stage, { recursive: true });
    writeFileSync(
      path.join(stage, 'setup-fastvideo.sh'),
      'printf "%s|" "${FASTVIDEO_HOME-unset}" "$@"; case "$PATH" in *:/usr/lib/wsl/lib) ;; *) exit 9;; esac; exit 7\n',
    );
    chmodSync(path.join(stage, 'setup-fastvideo.sh'), 0o755);
    let r = sh(snippets[2] as string, [
      '-',
      '--model',
      'FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers',
      '--skip-download',
    ]);
    assert.equal(r.status, 7, r.stderr);
    assert.equal(r.stdout, 'unset|--model|FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers|--skip-download|');
    r = sh(snippets[2] as string, ['~/models', '--model', 'M']);
    assert.equal(r.stdout, `${home}/models|--model|M|`);
  });

  it('the GPU check line runs nvidia-smi from /usr/lib/wsl/lib even when PATH lacks it', () => {
    const m = /Invoke-InWsl \$d\.Name '([^']+nvidia-smi[^']+)'/.exec(PS1);
    assert.ok(m, 'GPU check not found');
    // Stand in for /usr/lib/wsl/lib with a folder of ours, as wsl-probe.test.ts does.
    const lib = path.join(home, 'wsllib');
    mkdirSync(lib);
    writeFileSync(path.join(lib, 'nvidia-smi'), '#!/bin/sh\necho "GPU 0: NVIDIA RTX A4000 (UUID: GPU-1)"\n');
    chmodSync(path.join(lib, 'nvidia-smi'), 0o755);
    const r = spawnSync('sh', ['-c', runner((m[1] as string).replace('/usr/lib/wsl/lib', lib)), 'stv-setup'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', HOME: home },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^GPU 0: /);
  });
});
