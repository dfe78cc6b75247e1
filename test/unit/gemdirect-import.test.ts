import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importGemDirect, detectShape } from '../../src/core/timeline/import/gemdirect';
import { parseTimeline } from '../../src/core/timeline/load';
import { exportLocalGenSettings, importLocalGenSettings } from '../../src/core/settings/localGenSettings';
import { DEFAULT_SETTINGS, readSettings } from '../../src/core/settings/schema';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs'; // the module object itself (not a copy), so a test can stand in for link()
import { readdirSync } from 'node:fs';
import { decodeImage, writeNewFile } from '../../src/core/timeline/import/images';
import { resolveScenes } from '../../src/core/timeline/resolve';
import { repoRoot, venvPython } from '../helpers/paths';

/** Really decodes image files (Pillow in the adapter's venv): format and size of each. */
function decodeWithPillow(files: string[]): { format: string; size: [number, number] }[] {
  const script =
    'import json, sys\nfrom PIL import Image\nout = []\nfor f in sys.argv[1:]:\n    im = Image.open(f); im.load(); out.append({"format": im.format, "size": list(im.size)})\nprint(json.dumps(out))';
  return JSON.parse(execFileSync(venvPython, ['-c', script, ...files], { encoding: 'utf8' })) as {
    format: string;
    size: [number, number];
  }[];
}

const FIX = path.join(repoRoot, 'test/fixtures/gemdirect');
const read = (f: string) => JSON.parse(readFileSync(path.join(FIX, f), 'utf8')) as unknown;

/** Import, write the timeline as the extension would, and load it back with our own loader. */
async function roundTrip(file: string, dir: string) {
  const target = path.join(dir, 'imported.timeline.json');
  const res = await importGemDirect(read(file), { sourceFile: path.join(FIX, file), targetTimelineFile: target });
  writeFileSync(target, JSON.stringify(res.timeline, null, 2));
  const loaded = parseTimeline(readFileSync(target, 'utf8'), { timelineFile: target });
  return { res, loaded, target };
}

describe('gemDirect1 import', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'stv-import-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('detects each shape', () => {
    assert.equal(detectShape(read('project-export.json')), 'project');
    assert.equal(detectShape(read('story.json')), 'story');
    assert.equal(detectShape(read('scene-forest.json')), 'scene');
    assert.equal(detectShape({ hello: 1 }), undefined);
  });

  it('round-trips a project export: each shot a shot, base64 bookends become files', async () => {
    const { res, loaded } = await roundTrip('project-export.json', dir);
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
    const [a, b, c] = res.timeline.scenes;
    assert.equal(res.timeline.version, 2);
    assert.equal(res.timeline.title, 'Harbour Lights');
    assert.equal(a?.id, 'scene-1');
    // visualPrompt preferred over the description; the scene's summary is the prompt its shots fall back to.
    assert.deepEqual(
      a?.shots?.map((sh) => [sh.id, sh.prompt]),
      [
        ['s1', 'A lighthouse on a cliff at dusk, waves, wide shot'],
        ['s2', 'The keeper climbs the spiral stairs'],
      ],
    );
    assert.equal(a?.prompt, 'The keeper climbs the stairs.');
    assert.equal(a?.negativePrompt, 'blurry, text');
    assert.equal(a?.seconds, 5);
    assert.deepEqual(a?.keyframes, { start: 'keyframes/scene-1.png', end: 'keyframes/scene-1-end.png' }); // keyframeEnd kept
    assert.equal(b?.id, 'scene-2-the-lamp');
    assert.equal(b?.keyframes?.start, 'keyframes/scene-2-the-lamp.jpg'); // JPEG magic kept as .jpg
    assert.equal(c?.shots, undefined);
    assert.equal(c?.prompt, 'A storm rolls in over the harbour.'); // no shots: the summary
    assert.equal(c?.keyframes, undefined);
    assert.equal(res.keyframesWritten.length, 3);
    assert.equal(readFileSync(path.join(dir, 'keyframes/scene-1.png')).readUInt32BE(0), 0x89504e47);
    assert.ok(res.notCarried.includes('directorsVision'), res.notCarried.join('\n'));
  });

  it('round-trips a story file and a single scene file, copying keyframes and fixing frame counts', async () => {
    const { res, loaded } = await roundTrip('story.json', dir);
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
    const forest = res.timeline.scenes[0];
    assert.equal(forest?.prompt, 'Tall pines in morning mist. camera: slow dolly forward. mood: calm');
    assert.equal(forest?.frames, 121);
    assert.equal(res.timeline.scenes[1]?.frames, 81);
    assert.ok(res.warnings.some((w) => /expectedFrames 120 became 121/.test(w)));
    assert.ok(existsSync(path.join(dir, 'keyframes/forest.png')));
    const single = await roundTrip('scene-forest.json', mkdtempSync(path.join(dir, 'single-')));
    assert.ok(single.loaded.ok);
    assert.equal(single.res.timeline.scenes.length, 1);
  });

  it('writes keyframes that really decode, and resolves them from the loaded timeline', async () => {
    const { loaded, target } = await roundTrip('project-export.json', dir);
    assert.ok(loaded.ok);
    const files = [
      ...new Set(
        resolveScenes(loaded.timeline, target).flatMap((s) =>
          [s.keyframePath, s.endKeyframePath].filter((f): f is string => !!f),
        ),
      ),
    ];
    assert.equal(files.length, 3);
    assert.deepEqual(decodeWithPillow(files), [
      { format: 'PNG', size: [64, 36] },
      { format: 'PNG', size: [64, 36] },
      { format: 'JPEG', size: [64, 36] },
    ]);
  });

  it('handles odd images and ids: wrong data: mime, URL-safe WebP, junk base64, clashing and unsafe ids, long scenes', async () => {
    const { res, loaded, target } = await roundTrip('project-export-odd-images.json', dir);
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
    assert.deepEqual(loaded.warnings, []);
    const [a, b, c] = res.timeline.scenes;
    assert.deepEqual(
      res.timeline.scenes.map((x) => x.id),
      ['Night-1', 'night-1-2', 'scene'],
    ); // unique ignoring case; ".." made safe
    assert.equal(res.timeline.title, 'Three nights at the harbour, exported with odd images.');
    assert.equal(a?.shots?.[0]?.prompt, 'Fog over the water'); // an empty visualPrompt falls back to the description
    assert.equal(a?.keyframes?.start, 'keyframes/Night-1.png'); // PNG bytes behind a data:image/jpeg URL: the bytes decide
    assert.equal(a?.seconds, 10); // 20 s is longer than one clip: the longest the model renders
    assert.equal(b?.keyframes?.start, 'keyframes/night-1-2.webp');
    assert.equal(c?.title, 'scene');
    assert.equal(c?.keyframes, undefined);
    assert.ok(
      res.warnings.some((w) => /20 s became 10 s/.test(w)),
      res.warnings.join('\n'),
    );
    assert.ok(
      res.warnings.some((w) => /start keyframe of scene "scene" is not a PNG, JPEG or WebP image/.test(w)),
      res.warnings.join('\n'),
    );
    const files = resolveScenes(loaded.timeline, target).flatMap((s) => (s.keyframePath ? [s.keyframePath] : []));
    assert.deepEqual(
      decodeWithPillow(files).map((d) => d.format),
      ['PNG', 'WEBP'],
    );
    assert.deepEqual(readdirSync(path.join(dir, 'keyframes')).sort(), ['Night-1.png', 'night-1-2.webp']); // no temp files left
  });

  it('turns ids that are not safe folder names on Windows into safe ones', async () => {
    const story = {
      title: 'Ids',
      scenes: ['CON', 'take.', 'Ünïcode scène', '---'].map((id) => ({ id, title: id, prompt: 'p' })),
    };
    const target = path.join(dir, 'ids.timeline.json');
    const res = await importGemDirect(story, { sourceFile: path.join(dir, 'story.json'), targetTimelineFile: target });
    assert.deepEqual(
      res.timeline.scenes.map((s) => s.id),
      ['scene-CON', 'take', 'Unicode-scene', 'scene'],
    );
    assert.ok(parseTimeline(JSON.stringify(res.timeline), { timelineFile: target }).ok);
  });

  it('never overwrites an existing keyframe file', async () => {
    cpSync(path.join(FIX, 'images/forest.png'), path.join(dir, 'keyframes/forest.png'), { recursive: true });
    const before = readFileSync(path.join(dir, 'keyframes/forest.png'));
    const { res } = await roundTrip('story.json', dir);
    assert.equal(res.timeline.scenes[0]?.keyframes?.start, 'keyframes/forest-1.png');
    assert.deepEqual(readFileSync(path.join(dir, 'keyframes/forest.png')), before);
  });

  it('refuses files that are not gemDirect1 exports, with a clear message', async () => {
    await assert.rejects(
      importGemDirect({ foo: 1 }, { sourceFile: 'x.json', targetTimelineFile: path.join(dir, 't.timeline.json') }),
      /not a gemDirect1 project export/,
    );
  });
});

describe('imported images', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'stv-images-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const png = readFileSync(path.join(FIX, 'images/forest.png'));

  it('decodes base64 and data: URLs by their magic bytes, and refuses what is not an image', () => {
    assert.equal(decodeImage(png.toString('base64'))?.ext, '.png');
    assert.equal(decodeImage(`data:image/webp;base64,${png.toString('base64')}`)?.ext, '.png');
    assert.equal(decodeImage(png.toString('base64url'))?.ext, '.png');
    assert.equal(decodeImage(png.toString('base64').replace(/(.{20})/g, '$1\n'))?.ext, '.png'); // line-wrapped
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(8)]);
    assert.equal(decodeImage(webp.toString('base64'))?.ext, '.webp');
    assert.equal(
      decodeImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.alloc(16)]).toString('base64'))?.ext,
      '.jpg',
    );
    assert.equal(decodeImage(Buffer.from('GIF89a and more bytes here').toString('base64')), undefined);
    assert.equal(decodeImage('not base64 at all!'), undefined);
    assert.equal(decodeImage(''), undefined);
  });

  it('picks a new name instead of replacing a file, and leaves no temp file', async () => {
    writeFileSync(path.join(dir, 'k.png'), 'mine');
    const first = await writeNewFile(dir, 'k', '.png', png);
    const second = await writeNewFile(dir, 'k', '.png', png);
    assert.deepEqual([path.basename(first), path.basename(second)], ['k-1.png', 'k-2.png']);
    assert.equal(readFileSync(path.join(dir, 'k.png'), 'utf8'), 'mine');
    assert.deepEqual(readFileSync(second), png);
    assert.deepEqual(readdirSync(dir).sort(), ['k-1.png', 'k-2.png', 'k.png']);
  });

  it('still never replaces a file where the file system has no hard links (FAT, some shares)', async () => {
    const realLink = fsp.link;
    (fsp as { link: unknown }).link = () =>
      Promise.reject(Object.assign(new Error('operation not permitted'), { code: 'EPERM' }));
    try {
      writeFileSync(path.join(dir, 'k.png'), 'mine');
      const file = await writeNewFile(dir, 'k', '.png', png);
      assert.equal(path.basename(file), 'k-1.png');
      assert.deepEqual(readFileSync(file), png);
      assert.equal(readFileSync(path.join(dir, 'k.png'), 'utf8'), 'mine');
      assert.deepEqual(readdirSync(dir).sort(), ['k-1.png', 'k.png']);
    } finally {
      (fsp as { link: unknown }).link = realLink;
    }
  });
});

describe('localGenSettings.json', () => {
  it('imports provider, URLs, the fastVideo block and the active workflow profile', () => {
    const imp = importLocalGenSettings(read('localGenSettings.json'));
    assert.equal(imp.updates['sceneToVideo.videoProvider'], 'fastvideo-local');
    assert.equal(imp.updates['comfyUI.url'], 'http://192.0.2.10:8188');
    assert.equal(imp.updates['comfyUI.clientId'], 'gemdirect-abc');
    assert.equal(imp.updates['fastVideo.seed'], 7);
    assert.equal(imp.updates['fastVideo.attentionBackend'], 'FLASH_ATTN');
    // gemDirect1's "human_readable_prompt" is our "prompt"; the other names are the same on both sides.
    assert.deepEqual(imp.updates['comfyUI.mapping'], {
      '6:text': 'prompt',
      '52:image': 'keyframe_image',
      '3:seed': 'seed',
    });
    assert.equal(imp.workflow?.id, 'wan-i2v');
    assert.equal(
      (JSON.parse(imp.workflow?.json ?? '{}') as Record<string, { class_type: string }>)['52']?.class_type,
      'LoadImage',
    );
    assert.ok(imp.notes.some((n) => /flux-t2i/.test(n)));
    // The updates are valid settings.
    const { problems } = readSettings((k) => imp.updates[k]);
    assert.deepEqual(problems, []);
  });

  it("writes a mapping that only holds values package.json's comfyUI.mapping schema lists", () => {
    const raw = read('localGenSettings.json') as {
      workflowProfiles: Record<string, { mapping: Record<string, string> }>;
    };
    const profile = raw.workflowProfiles['wan-i2v'];
    assert.ok(profile);
    profile.mapping = {
      '6:text': 'human_readable_prompt',
      '3:seed': 'noise_seed',
      '3:steps': 'none',
      '52:image': '',
      '6:meta': 'full_timeline_json',
      '3:cfg': 'mystery',
    };
    const mapping = importLocalGenSettings(raw).updates['comfyUI.mapping'] as Record<string, string>;
    // gemDirect1's "not mapped" is left out; aliases become our names; an unknown name is kept so the
    // provider can name it when the workflow is checked.
    assert.deepEqual(mapping, {
      '6:text': 'prompt',
      '3:seed': 'seed',
      '6:meta': 'full_timeline_json',
      '3:cfg': 'mystery',
    });
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { additionalProperties?: { enum?: string[] } }> }[] };
    };
    const allowed = manifest.contributes.configuration.flatMap(
      (c) => c.properties['comfyUI.mapping']?.additionalProperties?.enum ?? [],
    );
    assert.deepEqual(
      Object.values(mapping).filter((v) => !allowed.includes(v)),
      ['mystery'],
    );
  });

  it('exports both ways and keeps keys it does not use', () => {
    const original = read('localGenSettings.json') as Record<string, unknown>;
    const imp = importLocalGenSettings(original);
    const { settings } = readSettings((k) => imp.updates[k]);
    const out = exportLocalGenSettings(settings, original, imp.workflow);
    assert.deepEqual(out.keepThisKey, { nested: true });
    assert.equal(out.imageProvider, 'gemini');
    assert.equal(out.videoProvider, 'fastvideo-local');
    assert.deepEqual(
      (out.workflowProfiles as Record<string, unknown>)['flux-t2i'],
      (original.workflowProfiles as Record<string, unknown>)['flux-t2i'],
    );
    const again = importLocalGenSettings(JSON.parse(JSON.stringify(out)));
    assert.deepEqual(again.updates, imp.updates);
    // gemDirect1 reads its own mapping names back.
    assert.deepEqual((out.workflowProfiles as Record<string, { mapping: unknown }>)['wan-i2v']?.mapping, {
      '6:text': 'human_readable_prompt',
      '52:image': 'keyframe_image',
      '3:seed': 'seed',
    });
    assert.deepEqual(out.fastVideo, (original as { fastVideo: unknown }).fastVideo);
    const fresh = exportLocalGenSettings(DEFAULT_SETTINGS);
    assert.equal(fresh.videoProvider, 'comfyui-local');
    assert.deepEqual(importLocalGenSettings(fresh).notes, []);
    assert.throws(() => importLocalGenSettings('nope'), /not a gemDirect1 localGenSettings/);
    assert.throws(() => importLocalGenSettings([1, 2]), /not a gemDirect1 localGenSettings/);
  });

  it('leaves out values our settings would refuse, saying why, and imports the rest', () => {
    const original = read('localGenSettings.json') as Record<string, Record<string, unknown>>;
    const bad = {
      ...original,
      videoProvider: 'runway',
      comfyUIUrl: '127.0.0.1:8188',
      fastVideo: { ...original.fastVideo, width: 1000, numFrames: '121', attentionBackend: 'flash' },
      videoWorkflowProfile: 'gone',
    };
    const imp = importLocalGenSettings(bad);
    for (const key of [
      'sceneToVideo.videoProvider',
      'comfyUI.url',
      'fastVideo.width',
      'fastVideo.numFrames',
      'fastVideo.attentionBackend',
      'comfyUI.mapping',
    ])
      assert.equal(imp.updates[key], undefined, key);
    assert.equal(imp.updates['fastVideo.height'], 704);
    assert.equal(imp.workflow, undefined);
    const notes = imp.notes.join('\n');
    assert.match(notes, /videoProvider "runway" is not one Scene to Video renders with/);
    assert.match(notes, /comfyUIUrl "127\.0\.0\.1:8188" was not imported: must be an http:\/\/ or https:\/\/ URL/);
    assert.match(notes, /fastVideo\.width 1000 was not imported/);
    assert.match(notes, /fastVideo\.numFrames "121" was not imported/);
    assert.match(notes, /videoWorkflowProfile "gone" names no profile/);
    assert.deepEqual(readSettings((k) => imp.updates[k]).problems, []);
  });

  it('refuses to export a workflow that is not JSON, naming it', () => {
    assert.throws(
      () => exportLocalGenSettings(DEFAULT_SETTINGS, {}, { id: 'mine', label: 'My workflow', json: '{ nope' }),
      /workflow "My workflow" is not valid JSON/,
    );
  });
});
