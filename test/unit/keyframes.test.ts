/**
 * Keyframes from prompts (issue 21): the CLI against the real adapter's preview backend generates
 * variants at the clip's render size, keeps every one with its sidecar, and picks one into the
 * timeline with a minimal text edit; the core refuses what it cannot do with an actionable error.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli';
import { StvError } from '../../src/core/errors';
import { pickKeyframe, pickKeyframeText } from '../../src/core/keyframes/pick';
import { minimalEdit as minimalReplace } from '../../src/core/timeline/minimalEdit';
import { generateKeyframes, listKeyframeVariants } from '../../src/core/keyframes/variants';
import type { ProviderHealth, VideoProvider } from '../../src/core/providers/types';
import { FastVideoProvider } from '../../src/core/providers/fastvideo/provider';
import { setKeyframeInText } from '../../src/core/takes/edit';
import { loadTimelineFile } from '../../src/core/timeline/load';
import { readImageSize } from '../../src/core/timeline/imageSize';
import type { Timeline } from '../../src/core/timeline/schema';
import { startTestAdapter, type TestAdapter } from '../helpers/adapterProcess';
import { captureIo } from '../helpers/cliIo';

const V2 = `{
  "version": 2,
  "title": "Prompts only",
  "defaults": { "width": 512, "height": 288 },
  "scenes": [
    {
      "id": "harbor",
      "title": "Harbor",
      "shots": [
        { "id": "wide", "prompt": "A fishing harbor at dawn, mist over the water" },
        { "id": "close", "prompt": "Close on a rope coiled on the pier", "overrides": { "width": 384, "height": 384 } }
      ]
    }
  ]
}
`;

const V1 = `{
  "version": 1,
  "title": "Old",
  "scenes": [{ "id": "one", "title": "One", "prompt": "a red barn in snow", "overrides": { "width": 512, "height": 288 } }]
}
`;

/** The i-th item, failing the test (not with a TypeError) when there is none. */
function nth<T>(items: T[], i: number): T {
  const item = items[i];
  assert.ok(item !== undefined, `no item ${i} among ${items.length}`);
  return item;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('keyframes from prompts (issue 21)', function () {
  this.timeout(120_000);
  let adapter: TestAdapter;
  let ws: string;
  const cli = async (...argv: string[]) => {
    const c = captureIo();
    const code = await main(argv, c.io);
    return { code, out: c.out(), err: c.err() };
  };
  /** The options that send a command to this suite's preview adapter. */
  const onAdapter = () => ['--provider', 'fastvideo-local', '--endpoint', adapter.url];
  const write = (name: string, text: string) => {
    const f = path.join(ws, name);
    writeFileSync(f, text);
    return f;
  };
  const variantsOf = (out: string) =>
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; imagePath: string; sidecarPath: string; seed: number })
      .filter((l) => l.type === 'variant');

  before(async () => {
    adapter = await startTestAdapter();
  });
  beforeEach(() => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'stv-keyframes-'));
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));
  after(async () => {
    await adapter?.dispose();
  });

  it('generates N variants at the shot render size, each a PNG with a sidecar, and never replaces earlier ones', async () => {
    const file = write('t.timeline.json', V2);
    const args = ['keyframe', file, '--shot', 'harbor/close', '--variants', '3', '--seed', '5'];
    const first = await cli(...args, ...onAdapter(), '--json');
    assert.equal(first.code, EXIT.ok, first.err);
    const made = variantsOf(first.out);
    assert.deepEqual(
      made.map((v) => v.seed),
      [5, 6, 7],
    );
    for (const v of made) {
      assert.equal(path.dirname(v.imagePath), path.join(ws, 'keyframes', 'variants', 'harbor', 'close'));
      assert.deepEqual(readImageSize(v.imagePath), { width: 384, height: 384 }); // the shot's own size
      const side = JSON.parse(readFileSync(v.sidecarPath, 'utf8')) as Record<string, unknown>;
      assert.equal(side.kind, 'scene-to-video-keyframe');
      assert.equal(side.prompt, 'Close on a rope coiled on the pier');
      assert.equal(side.provider, 'fastvideo-local');
      assert.equal(side.backend, 'preview');
      assert.equal(side.which, 'start');
      assert.equal(side.timelineFile, file);
    }
    assert.notEqual(sha(nth(made, 0).imagePath), sha(nth(made, 1).imagePath), 'another seed, another image');
    const again = await cli(...args, ...onAdapter(), '--json');
    assert.equal(again.code, EXIT.ok, again.err);
    const second = variantsOf(again.out);
    assert.equal(
      sha(nth(second, 0).imagePath),
      sha(nth(made, 0).imagePath),
      'the same prompt and seed draw the same image',
    );
    const dir = path.join(ws, 'keyframes', 'variants', 'harbor', 'close');
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.png')).length, 6);
    assert.equal(readdirSync(dir).filter((n) => n.startsWith('.stv-')).length, 0, 'no temporary file left');
    assert.equal(readFileSync(file, 'utf8'), V2, 'generating never edits the timeline');
    const listed = await listKeyframeVariants(file, { id: 'harbor', shotId: 'close' }, 'start');
    assert.equal(listed.length, 6);
  });

  it('picks a variant: copied into keyframes/, set as the keyframe with an edit that leaves the rest of the text alone', async () => {
    const file = write('t.timeline.json', V2);
    const gen = await cli(
      'keyframe',
      file,
      '--shot',
      'harbor/wide',
      '--variants',
      '2',
      '--seed',
      '1',
      ...onAdapter(),
      '--json',
    );
    assert.equal(gen.code, EXIT.ok, gen.err);
    const chosen = nth(variantsOf(gen.out), 1);
    const picked = await cli('keyframe', file, '--shot', 'harbor/wide', '--pick', chosen.imagePath);
    assert.equal(picked.code, EXIT.ok, picked.err);
    const rel = `keyframes/${path.basename(chosen.imagePath)}`;
    assert.equal(sha(path.join(ws, rel)), sha(chosen.imagePath));
    const loaded = await loadTimelineFile(file);
    assert.ok(loaded.ok);
    const shot = loaded.timeline.version === 2 ? loaded.timeline.scenes[0]?.shots?.[0] : undefined;
    assert.equal(shot?.keyframes?.start, rel);
    const text = readFileSync(file, 'utf8');
    assert.equal(text.replace(/\{\s*"id": "wide"[\s\S]*?\}\s*\}/, 'X'), V2.replace(/\{ "id": "wide"[^}]*\}/, 'X'));
    // The end keyframe goes beside it; picking the same variant again reuses its copy.
    const end = await cli('keyframe', file, '--shot', 'harbor/wide', '--end', '--pick', chosen.imagePath);
    assert.equal(end.code, EXIT.ok, end.err);
    const after = await loadTimelineFile(file);
    assert.ok(after.ok && after.timeline.version === 2);
    assert.deepEqual(after.timeline.scenes[0]?.shots?.[0]?.keyframes, { start: rel, end: rel });
    assert.equal(readdirSync(path.join(ws, 'keyframes')).filter((n) => n.endsWith('.png')).length, 1);
    // A render starts from the picked keyframe: the preview adapter animates it.
    const render = await cli(
      'render',
      file,
      '--scene',
      'harbor/wide',
      ...onAdapter(),
      '--output',
      path.join(ws, 'renders'),
      '--json',
    );
    assert.equal(render.code, EXIT.ok, render.err);
  });

  it('sets a version 1 scene\'s "keyframe", and refuses an end keyframe there, naming the upgrade', async () => {
    const file = write('old.timeline.json', V1);
    const img = path.join(ws, 'x.png');
    const gen = await cli('keyframe', file, '--shot', 'one', '--variants', '1', ...onAdapter(), '--json');
    assert.equal(gen.code, EXIT.ok, gen.err);
    const v = nth(variantsOf(gen.out), 0);
    assert.ok(v.seed >= 0 && v.seed <= 2 ** 32 - 1, 'a random seed without --seed');
    const r = await pickKeyframe(file, 'one', 'start', v.imagePath);
    assert.match(readFileSync(file, 'utf8'), new RegExp(`"keyframe": "${r.rel}"`));
    const before = readFileSync(file, 'utf8');
    await assert.rejects(pickKeyframe(file, 'one', 'end', v.imagePath), (e: StvError) => {
      assert.equal(e.code, 'TIMELINE_INVALID');
      assert.match(e.hint ?? '', /Upgrade/);
      return true;
    });
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.ok(!existsSync(img));
  });

  it('refuses what is not an image, an unknown clip, and a bad variant count, changing nothing', async () => {
    const file = write('t.timeline.json', V2);
    const notImage = write('notes.png', 'not an image');
    const bad = await cli('keyframe', file, '--shot', 'harbor/wide', '--pick', notImage);
    assert.equal(bad.code, EXIT.badInput);
    assert.match(bad.err, /not a PNG, JPEG or WebP/);
    const unknown = await cli('keyframe', file, '--shot', 'harbor/nope', ...onAdapter());
    assert.equal(unknown.code, EXIT.badInput);
    assert.match(unknown.err, /harbor\/wide, harbor\/close/);
    const many = await cli('keyframe', file, '--shot', 'harbor/wide', '--variants', '99', ...onAdapter());
    assert.equal(many.code, EXIT.badInput);
    assert.match(many.err, /1 to 8/);
    const none = await cli('keyframe', file);
    assert.equal(none.code, EXIT.badInput);
    assert.match(none.err, /--shot/);
    assert.equal(readFileSync(file, 'utf8'), V2);
  });

  it('says which providers can make keyframes when this one cannot', async () => {
    const file = write('t.timeline.json', V2);
    const loaded = await loadTimelineFile(file);
    assert.ok(loaded.ok);
    const health: ProviderHealth = {
      provider: 'comfyui-local',
      state: 'ok',
      endpoint: 'x',
      summary: '',
      checkedAt: '',
    };
    const videoOnly: VideoProvider = {
      id: 'comfyui-local',
      endpoint: 'x',
      health: () => Promise.resolve(health),
      render: () => Promise.reject(new Error('not used')),
    };
    await assert.rejects(
      generateKeyframes({
        timeline: loaded.timeline,
        timelineFile: file,
        clipKey: 'harbor/wide',
        which: 'start',
        variants: 1,
        provider: videoOnly,
        signal: new AbortController().signal,
      }),
      (e: StvError) =>
        e.code === 'KEYFRAMES_UNSUPPORTED' && /ComfyUI/.test(e.hint ?? '') && /preview/.test(e.hint ?? ''),
    );
  });

  it('an adapter that cannot make keyframes (or predates them) is refused before any job, naming what can', async () => {
    const health = (extra: Record<string, unknown>) =>
      JSON.stringify({
        status: 'ok',
        backend: 'fastvideo',
        isAi: true,
        modelId: 'm',
        modelProfile: 'p',
        modelLoaded: true,
        followsKeyframe: true,
        device: 'cuda',
        memory: { rssMb: 1 },
        queueDepth: 0,
        maxQueue: 1,
        version: '0.9',
        ...extra,
      });
    let body = health({});
    let jobs = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/jobs') jobs++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const p = new FastVideoProvider({ endpoint: `http://127.0.0.1:${port}` });
      const opts = { signal: new AbortController().signal, scratchDir: ws, onProgress: () => undefined };
      const req = { sceneId: 's', prompt: 'p', width: 256, height: 256, seed: 1 };
      await assert.rejects(p.renderImage(req, opts), (e: StvError) => {
        assert.equal(e.code, 'KEYFRAMES_UNSUPPORTED');
        assert.match(e.message, /predates keyframes from prompts: update it/);
        assert.match(e.hint ?? '', /ComfyUI/);
        return true;
      });
      body = health({ makesKeyframes: false, keyframesProblem: 'This model renders clips only.' });
      await assert.rejects(p.renderImage(req, opts), /This model renders clips only/);
      assert.equal(jobs, 0, 'no job was submitted');
    } finally {
      server.close();
    }
  });

  it('writes keyframes where each timeline shape keeps them (one edit helper for pick and continuity)', async () => {
    const v2Scene =
      '{\n  "version": 2,\n  "title": "t",\n  "scenes": [\n    { "id": "a", "title": "A", "prompt": "p" }\n  ]\n}\n';
    const t = JSON.parse(v2Scene) as Timeline;
    const edited = setKeyframeInText(v2Scene, t, { location: { scene: 0 } }, 'end', 'keyframes/a.png');
    assert.deepEqual((JSON.parse(edited) as { scenes: { keyframes: unknown }[] }).scenes[0]?.keyframes, {
      end: 'keyframes/a.png',
    });
    assert.ok(edited.startsWith('{\n  "version": 2,\n  "title": "t",'), 'the text around the edit is kept');
    // pickKeyframeText returns the text without writing it (the extension applies it as a WorkspaceEdit).
    const file = write('t.timeline.json', V2);
    const img = (await generateWith(file)).imagePath;
    const loaded = await loadTimelineFile(file);
    assert.ok(loaded.ok);
    const r = await pickKeyframeText(file, V2, loaded.timeline, 'harbor/wide', 'start', img);
    assert.match(r.text, /"start": "keyframes\//);
    assert.equal(readFileSync(file, 'utf8'), V2);
  });

  it('turns a pick into the smallest replacement (the one WorkspaceEdit the extension applies)', () => {
    const before = '{ "a": 1, "b": [2, 3], "c": "x" }';
    const after = '{ "a": 1, "b": [2, 3, 4], "c": "x" }';
    const m = minimalReplace(before, after);
    assert.deepEqual(m, { start: 20, end: 20, text: ', 4' });
    assert.equal(before.slice(0, m.start) + m.text + before.slice(m.end), after);
    assert.deepEqual(minimalReplace('aaa', 'aaa'), { start: 3, end: 3, text: '' });
    const r = minimalReplace('abcabc', 'abc');
    assert.equal('abcabc'.slice(0, r.start) + r.text + 'abcabc'.slice(r.end), 'abc');
  });

  async function generateWith(file: string) {
    const gen = await cli(
      'keyframe',
      file,
      '--shot',
      'harbor/wide',
      '--variants',
      '1',
      '--seed',
      '9',
      ...onAdapter(),
      '--json',
    );
    assert.equal(gen.code, EXIT.ok, gen.err);
    return nth(variantsOf(gen.out), 0);
  }
});
