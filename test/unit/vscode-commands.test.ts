import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../src/vscode/commandIds';
import { forExtension, setupSteps } from '../../src/vscode/setupSteps';
import { healthProblem } from '../../src/core/providers/types';
import { isStaleFailure } from '../../src/vscode/panelModel';
import { statusText } from '../../src/vscode/statusFormat';
import { repoRoot } from '../helpers/paths';

interface Manifest {
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command: string }[]>;
    walkthroughs: { steps: { description: string; media: { image?: string; altText?: string } }[] }[];
  };
}

describe('commands', () => {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
  const contributed = manifest.contributes.commands.map((c) => c.command);

  it('has a handler for every command package.json contributes, and contributes every handled one', () => {
    const handled = new Set<string>(COMMAND_IDS);
    assert.deepEqual(
      contributed.filter((c) => !handled.has(c)),
      [],
      'contributed without a handler',
    );
    assert.deepEqual(
      [...handled].filter((c) => !contributed.includes(c)),
      [],
      'handled but not contributed',
    );
    assert.equal(new Set(contributed).size, contributed.length, 'a command is contributed twice');
  });

  it('menus and walkthrough links name only contributed commands', () => {
    const inMenus = Object.values(manifest.contributes.menus)
      .flat()
      .map((m) => m.command);
    const inSteps = manifest.contributes.walkthroughs
      .flatMap((w) => w.steps)
      .flatMap((s) => [...s.description.matchAll(/command:([\w.]+)/g)].map((m) => m[1] ?? ''));
    for (const c of [...inMenus, ...inSteps]) assert.ok(contributed.includes(c), `${c} is not contributed`);
  });

  it('walkthrough pictures exist, are described, and ship in the .vsix (.vscodeignore lets each through)', () => {
    const shipped = readFileSync(path.join(repoRoot, '.vscodeignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).trim());
    for (const step of manifest.contributes.walkthroughs.flatMap((w) => w.steps)) {
      const image = step.media.image ?? '';
      assert.ok(existsSync(path.join(repoRoot, image)), `${image} is missing`);
      assert.ok(shipped.includes(image), `${image} is not packaged`);
      assert.ok((step.media.altText ?? '').length > 10, `${image} has no description`);
    }
  });
});

describe('the first clip without a set-up', () => {
  it('sets up with argv lists: venv, pip, the bundled adapter; the GPU extra only on Linux', () => {
    const linux = setupSteps('linux', '/home/a/.scene-to-video/venv', '/ext/python', 'gpu');
    assert.deepEqual(
      linux.map((s) => s.argv[0]),
      [
        ['python3', '-m', 'venv', '/home/a/.scene-to-video/venv'],
        ['/home/a/.scene-to-video/venv/bin/python', '-m', 'pip', 'install', '--upgrade', 'pip'],
        ['/home/a/.scene-to-video/venv/bin/python', '-m', 'pip', 'install', '/ext/python[gpu]'],
      ],
    );
    assert.equal(setupSteps('linux', '/v', '/ext/python', 'preview')[2]?.argv[0]?.at(-1), '/ext/python');
    const win = setupSteps('win32', 'C:\\Users\\a\\AppData\\Local\\SceneToVideo\\venv', 'C:\\ext\\python', 'gpu');
    assert.deepEqual(
      win[0]?.argv.map((a) => a[0]),
      ['py', 'python'],
      'the py launcher, then python',
    );
    assert.equal(win[2]?.argv[0]?.[0], 'C:\\Users\\a\\AppData\\Local\\SceneToVideo\\venv\\Scripts\\python.exe');
    assert.equal(win[2]?.argv[0]?.at(-1), 'C:\\ext\\python', 'no FastVideo wheels on Windows');
  });

  it('names commands, never repository scripts, in what an installed extension says', () => {
    // Every hint in src that mentions a script, as the extension shows it.
    const hints = [
      'Start it with "Scene to Video: Start FastVideo adapter" (or scripts/run-fastvideo-server), or check fastVideo.endpointUrl.',
      'Install it from an administrator PowerShell with `wsl --install`, restart, then run scripts/setup-fastvideo-wsl.ps1. Or set fastVideo.launch to "native" (preview backend only).',
      'for `fastvideo-local`, run "Scene to Video: Start FastVideo adapter" (or `scripts/run-fastvideo-server.sh` / `.ps1`), and check',
    ];
    for (const h of hints) {
      const shown = forExtension(h);
      assert.doesNotMatch(shown, /scripts\//, shown);
      assert.match(shown, /Scene to Video: |wsl --install/);
    }
    assert.equal(forExtension('Nothing to change here (really).'), 'Nothing to change here (really).');
  });
});

describe('status that tells the truth', () => {
  const at = (iso: string) => ({ checkedAt: iso });
  it('names why a provider cannot render: down, workflow or settings, models, token', () => {
    const h = (state: 'down' | 'degraded', code: string) => ({
      provider: 'comfyui-local' as const,
      state,
      endpoint: 'http://127.0.0.1:8188',
      summary: 's',
      checkedAt: '2026-01-01T00:00:00Z',
      error: { code, message: 'm' },
    });
    assert.equal(healthProblem(h('down', 'UNREACHABLE')), 'unreachable');
    assert.equal(healthProblem(h('down', 'WORKFLOW_INVALID')), 'config');
    assert.equal(healthProblem(h('degraded', 'MISSING_NODES')), 'models');
    assert.equal(healthProblem({ state: 'ok' }), undefined);
    assert.equal(
      statusText('comfyui-local', { ...h('down', 'WORKFLOW_INVALID'), problem: 'config' }),
      '$(error) ComfyUI: workflow or settings invalid',
    );
    assert.equal(
      statusText('comfyui-local', { ...h('degraded', 'MISSING_NODES'), problem: 'models' }),
      '$(warning) ComfyUI: models missing',
    );
    assert.equal(
      statusText('comfyui-local', { ...h('down', 'UNREACHABLE'), problem: 'unreachable' }),
      '$(error) ComfyUI: down',
    );
  });

  it('does not flag the default provider the user never picked', () => {
    const down = {
      provider: 'comfyui-local' as const,
      state: 'down' as const,
      endpoint: '',
      summary: 's',
      checkedAt: '2026-01-01T00:00:00Z',
    };
    assert.equal(statusText('comfyui-local', down, false), '$(circle-outline) ComfyUI: not set up');
    assert.equal(statusText('comfyui-local', { ...down, state: 'ok' }, false), '$(pass-filled) ComfyUI: ok');
  });

  it('clears a failure once its provider is found healthy after it', () => {
    const failed = {
      state: 'failed' as const,
      error: { code: 'UNREACHABLE' as const, message: 'm' },
      finishedAt: '2026-01-01T00:00:10Z',
    };
    assert.equal(isStaleFailure(failed, { state: 'ok', ...at('2026-01-01T00:00:11Z') }), true);
    assert.equal(
      isStaleFailure(failed, { state: 'ok', ...at('2026-01-01T00:00:09Z') }),
      false,
      'a check from before the failure says nothing',
    );
    assert.equal(isStaleFailure(failed, { state: 'down', ...at('2026-01-01T00:00:11Z') }), false);
    assert.equal(
      isStaleFailure(
        { ...failed, error: { code: 'CUDA_OOM' as const, message: 'm' } },
        { state: 'ok', ...at('2026-01-01T00:00:11Z') },
      ),
      false,
      'health does not fix an out-of-memory scene',
    );
  });
});
