/**
 * What activation loads (issue 20): VS Code's activation figure is the extension's loading plus
 * activate()'s synchronous part, so the code only later steps need must not be reached from it by
 * static imports. The probe activates the tsc-compiled extension in a process of its own (a stand-in
 * for `vscode`) and lists the modules loaded; a static import added anywhere on the activation path
 * that pulls one of these in fails here.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';

interface Probe {
  api: string[];
  provider: string;
  atActivation: string[];
  afterSettings: string[];
}

/** Loaded on first use only: the libraries with files of their own in dist/, and our heavy modules. */
const FIRST_USE_ONLY: [string, RegExp][] = [
  ['zod', /^node_modules\/zod\//],
  ['undici', /^node_modules\/undici\//],
  ['ws', /^node_modules\/ws\//],
  ['the settings model', /^out\/src\/core\/settings\/(schema|descriptions)\.js$/],
  ['the provider clients', /^out\/src\/core\/providers\/(factory|comfyui|fastvideo)/],
  ['the timeline loader', /^out\/src\/core\/timeline\/(load|schema|v2)\.js$/],
  ['the command handlers', /^out\/src\/vscode\/commands\.js$/],
  ['the timeline editor', /^out\/src\/vscode\/panel\.js$/],
];

describe('activation', () => {
  let probe: Probe;
  before(function () {
    this.timeout(60_000);
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'test/helpers/activationProbe.cjs')], {
      encoding: 'utf8',
      timeout: 50_000,
    });
    assert.equal(r.status, 0, `the probe failed: ${r.stderr}`);
    probe = JSON.parse(r.stdout) as Probe;
  });

  it('returns the API the in-host tests use', () => {
    assert.deepEqual(probe.api, ['adapter', 'panel', 'queue', 'refreshHealth', 'settings', 'statusBarText']);
  });

  it('loads neither zod, undici, ws nor the code only commands, renders, timelines and editors use', () => {
    assert.ok(probe.atActivation.includes('out/src/vscode/extension.js'), 'the probe saw the extension load');
    for (const [what, pattern] of FIRST_USE_ONLY)
      assert.deepEqual(
        probe.atActivation.filter((f) => pattern.test(f)),
        [],
        `${what} loaded at activation`,
      );
  });

  it('loads the settings model (and zod) on the first full read of the settings', () => {
    assert.equal(probe.provider, 'comfyui-local');
    assert.ok(probe.afterSettings.includes('out/src/core/settings/schema.js'));
    assert.ok(probe.afterSettings.some((f) => f.startsWith('node_modules/zod/')));
  });
});
