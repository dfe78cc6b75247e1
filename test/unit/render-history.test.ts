import * as assert from 'node:assert/strict';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RenderRequest, RenderResult } from '../../src/core/providers/types';
import { looksLikeMp4, saveArtifact, SIDECAR_KIND, type Sidecar } from '../../src/core/render/artifacts';
import { listRenders } from '../../src/core/render/history';
import { repoRoot } from '../helpers/paths';

const TINY = path.join(repoRoot, 'test/fixtures/video/tiny.mp4');

const req = (sceneId: string, seed = 3): RenderRequest => ({
  sceneId,
  prompt: `p ${sceneId}`,
  negativePrompt: 'blurry',
  width: 256,
  height: 256,
  numFrames: 9,
  fps: 8,
  seed,
});
const result = (videoPath: string, seed = 3, over: Partial<RenderResult> = {}): RenderResult => ({
  videoPath,
  videoIsTemporary: false,
  seed,
  width: 256,
  height: 256,
  numFrames: 9,
  fps: 8,
  model: 'FastVideo/FastWan2.2-TI2V-5B-Diffusers',
  backend: 'preview',
  warnings: [{ code: 'NOT_AI', message: 'preview' }],
  timings: { generateMs: 3, totalMs: 5 },
  server: { jobId: 'j1', version: '0.1.0' },
  ...over,
});

describe('render artifacts and history', () => {
  let root: string;
  let out: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'stv-hist-'));
    out = path.join(root, 'renders');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const save = (sceneId: string, createdAt: Date, seed = 3, over: Partial<RenderResult> = {}) =>
    saveArtifact({
      outputRoot: out,
      timelineFile: path.join(root, 't.timeline.json'),
      providerId: 'fastvideo-local',
      request: req(sceneId, seed),
      result: result(TINY, seed, over),
      createdAt,
    });

  it('names the MP4 <scene>_<UTC stamp>_s<seed>.mp4 and writes a complete sidecar beside it', async () => {
    const a = await save('intro', new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), 99);
    assert.equal(path.relative(out, a.videoPath), path.join('intro', 'intro_20260102-030405_s99.mp4'));
    assert.equal(a.sidecarPath, a.videoPath.replace(/\.mp4$/, '.json'));
    assert.deepEqual(readFileSync(a.videoPath), readFileSync(TINY));
    const side = JSON.parse(readFileSync(a.sidecarPath, 'utf8')) as Sidecar;
    assert.equal(side.kind, SIDECAR_KIND);
    assert.equal(side.providerId, 'fastvideo-local');
    assert.equal(side.seed, 99);
    assert.equal(side.request.negativePrompt, 'blurry');
    assert.equal(side.model, 'FastVideo/FastWan2.2-TI2V-5B-Diffusers');
    assert.deepEqual(side.server, { jobId: 'j1', version: '0.1.0' });
    assert.deepEqual(side.warnings, [{ code: 'NOT_AI', message: 'preview' }]);
    assert.equal(side.timings.totalMs, 5);
    assert.deepEqual(
      readdirSync(path.dirname(a.videoPath)).filter((n) => n.startsWith('.')),
      [],
      'no temp files left',
    );
  });

  it('never overwrites: a taken name, or a name whose sidecar is still there, gets the next suffix', async () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const dir = path.join(out, 's');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 's_20260102-030405_s3.mp4'), 'an earlier render');
    writeFileSync(path.join(dir, 's_20260102-030405_s3_1.json'), '{"the video was deleted":"but its record stays"}');
    const a = await save('s', at);
    assert.equal(path.basename(a.videoPath), 's_20260102-030405_s3_2.mp4');
    assert.equal(readFileSync(path.join(dir, 's_20260102-030405_s3.mp4'), 'utf8'), 'an earlier render');
    assert.match(readFileSync(path.join(dir, 's_20260102-030405_s3_1.json'), 'utf8'), /but its record stays/);
    const b = await save('s', at);
    assert.equal(path.basename(b.videoPath), 's_20260102-030405_s3_3.mp4');
  });

  it('accepts only an ISO-BMFF file (ftyp box) and moves a temporary one instead of copying', async () => {
    assert.equal(await looksLikeMp4(TINY), true);
    const empty = path.join(root, 'empty.mp4');
    writeFileSync(empty, '');
    assert.equal(await looksLikeMp4(empty), false);
    await assert.rejects(save('x', new Date(), 3, { videoPath: empty }), /not an MP4/);
    const tmp = path.join(root, 'provider-temp.mp4');
    copyFileSync(TINY, tmp);
    const a = await save('x', new Date(), 3, { videoPath: tmp, videoIsTemporary: true });
    assert.deepEqual(readFileSync(a.videoPath), readFileSync(TINY));
    assert.throws(() => readFileSync(tmp), /ENOENT/, 'the temporary file was consumed');
  });

  it('lists renders newest first from their sidecars, skipping temp files, corrupt or foreign sidecars and lost videos', async () => {
    const old = await save('a', new Date(Date.UTC(2026, 0, 1)));
    const mid = await save('b', new Date(Date.UTC(2026, 0, 2)));
    const fresh = await save('a', new Date(Date.UTC(2026, 0, 3)));
    const lost = await save('b', new Date(Date.UTC(2026, 0, 4)));
    rmSync(lost.videoPath);
    writeFileSync(path.join(out, 'a', '.stv-0000.json.part'), '{');
    writeFileSync(path.join(out, 'a', '.stv-1111.mp4.part'), 'half');
    writeFileSync(path.join(out, 'a', 'broken.json'), '{ not json');
    copyFileSync(TINY, path.join(out, 'a', 'broken.mp4'));
    writeFileSync(
      path.join(out, 'a', 'other.json'),
      JSON.stringify({ ...JSON.parse(readFileSync(old.sidecarPath, 'utf8')), kind: 'something-else' }),
    );
    copyFileSync(TINY, path.join(out, 'a', 'other.mp4'));
    mkdirSync(path.join(out, '.stv-tmp', 'job'), { recursive: true });
    writeFileSync(path.join(out, 'not-a-scene.json'), '{}');

    const all = await listRenders(out);
    assert.deepEqual(
      all.map((r) => r.videoPath),
      [fresh.videoPath, mid.videoPath, old.videoPath],
    );
    assert.deepEqual(
      (await listRenders(out, 'a')).map((r) => r.createdAt),
      [fresh.createdAt, old.createdAt],
    );
    assert.deepEqual(await listRenders(path.join(root, 'nothing-here')), []);
    // From the folder of scene b, "../a" would reach scene a's renders: refused, not followed.
    for (const evil of ['../a', '..\\a', '..', '.'])
      assert.deepEqual(await listRenders(path.join(out, 'b'), evil), [], evil);
  });

  it('reads paths from where the sidecar is, not from what it says (a folder synced from another machine)', async () => {
    const a = await save('a', new Date());
    const moved = path.join(root, 'elsewhere');
    cpSync(out, moved, { recursive: true });
    const [r] = await listRenders(moved);
    assert.equal(r?.videoPath, path.join(moved, 'a', path.basename(a.videoPath)));
    assert.equal(r?.sidecarPath, path.join(moved, 'a', path.basename(a.sidecarPath)));
  });
});
