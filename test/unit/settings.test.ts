import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import {
  ComfyUISettingsSchema,
  DEFAULT_SETTINGS,
  FastVideoSettingsSchema,
  readSettings,
  SettingsSchema,
} from '../../src/core/settings/schema';
import {
  manifestConfiguration,
  restrictedSettingKeys,
  SETTING_DESCRIPTIONS,
} from '../../src/core/settings/descriptions';
import { repoRoot } from '../helpers/paths';

const ALL_KEYS = [
  ...['videoProvider', 'healthCheckIntervalSeconds', 'ffmpegPath', 'openTimelinesInEditor'].map(
    (k) => `sceneToVideo.${k}`,
  ),
  ...Object.keys(FastVideoSettingsSchema.shape).map((k) => `fastVideo.${k}`),
  ...Object.keys(ComfyUISettingsSchema.shape).map((k) => `comfyUI.${k}`),
];

describe('settings model', () => {
  it('has the agreed defaults', () => {
    assert.deepEqual(DEFAULT_SETTINGS, {
      videoProvider: 'comfyui-local',
      healthCheckIntervalSeconds: 30,
      ffmpegPath: '',
      openTimelinesInEditor: false,
      fastVideo: {
        endpointUrl: 'http://127.0.0.1:8055',
        modelId: 'FastVideo/FastWan2.2-TI2V-5B-Diffusers',
        modelPath: '',
        fps: 24,
        numFrames: 121,
        width: 1280,
        height: 704,
        seed: -1,
        outputDir: 'renders',
        attentionBackend: 'auto',
        pythonPath: '',
        autoStart: false,
        backend: 'fastvideo',
        launch: 'auto',
        wslDistro: '',
        requestTimeoutSeconds: 1800,
        cpuOffload: true,
      },
      comfyUI: {
        url: 'http://127.0.0.1:8188',
        endpoints: [],
        clientId: '',
        workflowPath: '',
        mapping: {},
        imageWorkflowPath: '',
        imageMapping: {},
        outputDir: 'renders',
        timeoutSeconds: 1800,
      },
    });
  });

  it('reads nothing as the defaults, with no problems', () => {
    assert.deepEqual(
      readSettings(() => undefined),
      { settings: DEFAULT_SETTINGS, problems: [] },
    );
  });

  it('reads valid values from a flat VS Code-style getter', () => {
    const values: Record<string, unknown> = {
      'sceneToVideo.videoProvider': 'fastvideo-local',
      'sceneToVideo.healthCheckIntervalSeconds': 0,
      'fastVideo.endpointUrl': 'http://192.0.2.7:9000',
      'fastVideo.width': 640,
      'fastVideo.height': 352,
      'fastVideo.numFrames': 33,
      'fastVideo.seed': 7,
      'fastVideo.backend': 'preview',
      'fastVideo.launch': 'wsl',
      'comfyUI.url': 'https://comfy.example:8443',
      'comfyUI.mapping': { '6:text': 'prompt', '52:image': 'keyframe_image' },
    };
    const { settings, problems } = readSettings((k) => values[k]);
    assert.deepEqual(problems, []);
    assert.equal(settings.videoProvider, 'fastvideo-local');
    assert.equal(settings.healthCheckIntervalSeconds, 0);
    assert.equal(settings.fastVideo.endpointUrl, 'http://192.0.2.7:9000');
    assert.deepEqual(
      [settings.fastVideo.width, settings.fastVideo.height, settings.fastVideo.numFrames, settings.fastVideo.seed],
      [640, 352, 33, 7],
    );
    assert.equal(settings.fastVideo.backend, 'preview');
    assert.equal(settings.fastVideo.launch, 'wsl');
    assert.equal(settings.fastVideo.fps, 24); // untouched keys keep their defaults
    assert.equal(settings.comfyUI.url, 'https://comfy.example:8443');
    assert.deepEqual(settings.comfyUI.mapping, { '6:text': 'prompt', '52:image': 'keyframe_image' });
  });

  it('reports each invalid value with its key, what was given and the default used, instead of throwing', () => {
    const values: Record<string, unknown> = {
      'sceneToVideo.videoProvider': 'runway',
      'sceneToVideo.healthCheckIntervalSeconds': -5,
      'fastVideo.endpointUrl': 'ftp://127.0.0.1:8055',
      'fastVideo.width': 1000,
      'fastVideo.numFrames': 120,
      'fastVideo.fps': '24',
      'fastVideo.attentionBackend': 'flash',
      'fastVideo.cpuOffload': 'yes',
      'comfyUI.mapping': { '6:text': 5 },
      'comfyUI.timeoutSeconds': 1.5,
    };
    const { settings, problems } = readSettings((k) => values[k]);
    assert.deepEqual(problems.map((p) => p.key).sort(), Object.keys(values).sort());
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    const msg = (key: string) => problems.find((p) => p.key === key)?.message ?? '';
    assert.match(
      msg('fastVideo.width'),
      /fastVideo\.width = 1000 is not valid: .*Nearest valid: 992 or 1008.*Using the default, 1280\./,
    );
    assert.match(msg('fastVideo.numFrames'), /Nearest valid: 117 or 121 .*Using the default, 121\./);
    assert.match(msg('sceneToVideo.videoProvider'), /"runway" is not valid: .*comfyui-local.*fastvideo-local/);
    assert.match(msg('fastVideo.fps'), /= "24" is not valid: .*number/);
    assert.match(msg('comfyUI.mapping'), /\(at 6:text\)/);
    assert.match(msg('sceneToVideo.healthCheckIntervalSeconds'), /Using the default, 30\./);
  });

  it('survives a getter that throws', () => {
    const { settings, problems } = readSettings((k) => {
      if (k === 'comfyUI.url') throw new Error('configuration service gone');
      return undefined;
    });
    assert.equal(settings.comfyUI.url, DEFAULT_SETTINGS.comfyUI.url);
    assert.match(problems[0]?.message ?? '', /comfyUI\.url could not be read \(configuration service gone\)/);
  });

  it('never throws and always yields valid settings, whatever the getter returns (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...ALL_KEYS), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined))),
        (values) => {
          const { settings, problems } = readSettings((k) => values[k]);
          assert.ok(SettingsSchema.safeParse(settings).success);
          for (const p of problems) assert.ok(ALL_KEYS.includes(p.key) && p.message.includes(p.key), JSON.stringify(p));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('setting descriptions (for contributes.configuration)', () => {
  it('describe every setting of the model exactly once, with defaults the model accepts', () => {
    assert.deepEqual(SETTING_DESCRIPTIONS.map((d) => d.key).sort(), [...ALL_KEYS].sort());
    const { settings, problems } = readSettings((k) => SETTING_DESCRIPTIONS.find((d) => d.key === k)?.default);
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    for (const d of SETTING_DESCRIPTIONS) {
      assert.ok(d.description.length > 15, d.key);
      if (d.enumDescriptions) assert.equal(d.enumDescriptions.length, d.enum?.length, d.key);
    }
  });

  it('carry the bounds of the model (a value outside them is refused by readSettings)', () => {
    for (const d of SETTING_DESCRIPTIONS.filter((x) => x.type === 'integer')) {
      const { minimum, maximum } = d;
      if (minimum !== undefined)
        assert.equal(
          readSettings((k) => (k === d.key ? minimum - 1 : undefined)).problems.length,
          1,
          `${d.key} below minimum`,
        );
      if (maximum !== undefined)
        assert.equal(
          readSettings((k) => (k === d.key ? maximum + 1 : undefined)).problems.length,
          1,
          `${d.key} above maximum`,
        );
    }
    const width = SETTING_DESCRIPTIONS.find((d) => d.key === 'fastVideo.width');
    assert.deepEqual([width?.minimum, width?.maximum, width?.multipleOf], [256, 1920, 16]);
  });

  it("match package.json's contributes.configuration and untrusted-workspace restrictions", () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: { configuration: { title: string; properties: Record<string, unknown> }[] };
      capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
    };
    const expected = manifestConfiguration();
    assert.deepEqual(
      manifest.contributes.configuration.map((s) => s.title),
      expected.map((s) => s.title),
    );
    for (const [i, section] of expected.entries()) {
      const actual = manifest.contributes.configuration[i]?.properties ?? {};
      assert.deepEqual(Object.keys(actual).sort(), Object.keys(section.properties).sort(), section.title);
      for (const [key, prop] of Object.entries(section.properties))
        assert.deepEqual(actual[key], prop, `package.json ${key} differs from src/core/settings/descriptions.ts`);
    }
    assert.deepEqual(
      [...manifest.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(),
      restrictedSettingKeys().sort(),
    );
  });
});
