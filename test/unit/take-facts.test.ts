/**
 * The cut's remembered take facts (src/core/assembly/takeFacts.ts) on a real MP4 with the real
 * ffmpeg: probed and hashed once, then read back without ffmpeg; probed again when the file's size
 * or time changes or the record is damaged.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256File } from '../../src/core/assembly/plan';
import { describeTakes, factsFile } from '../../src/core/assembly/takeFacts';
import { locateFfmpeg, type Ffmpeg } from '../../src/core/ffmpeg/ffmpeg';
import { listRenders } from '../../src/core/render/history';
import { repoRoot, venvPython } from '../helpers/paths';

const until = async (f: () => boolean) => {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('remembered take facts (the cut without probing twice)', function () {
  this.timeout(60_000);
  let dir: string;
  let take: string;
  let ff: Ffmpeg;
  /** An ffmpeg that fails if it is ever started. */
  const noFfmpeg: Ffmpeg = { path: '/nonexistent/ffmpeg', source: 'configured', version: 'none' };
  let hashed: string[];
  const hash = (f: string) => {
    hashed.push(f);
    return sha256File(f);
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stv-facts-'));
    take = path.join(dir, 'take.mp4');
    copyFileSync(path.join(repoRoot, 'test/fixtures/video/tiny.mp4'), take);
    ff = await locateFfmpeg({ env: {}, pythons: [venvPython] });
  });
  beforeEach(() => (hashed = []));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('probes and hashes a take once, then reads the record beside it without starting ffmpeg', async () => {
    const first = await describeTakes(ff, [take], hash);
    const sha = await first.hashes[0];
    assert.match(sha ?? '', /^[0-9a-f]{64}$/);
    assert.equal(first.infos[0]?.video?.codec, 'h264');
    await until(() => existsSync(factsFile(take)));
    assert.match(path.basename(factsFile(take)), /^\.stv-take\.mp4\.facts\.json$/);
    hashed = [];
    const again = await describeTakes(noFfmpeg, [take], hash);
    assert.deepEqual(again.infos, first.infos);
    assert.equal(await again.hashes[0], sha);
    assert.deepEqual(hashed, [], 'not hashed again');
    assert.deepEqual(await listRenders(dir), [], 'the record is no render');
  });

  it('probes again when the file changed (time or size) or the record is damaged', async () => {
    await describeTakes(ff, [take], hash);
    await until(() => existsSync(factsFile(take)));
    utimesSync(take, new Date(), new Date(Date.now() + 5000));
    await assert.rejects(describeTakes(noFfmpeg, [take], hash), /Cannot run|not a video|ENOENT|nonexistent/);
    hashed = [];
    await describeTakes(ff, [take], hash);
    assert.deepEqual(hashed, [take]);
    await until(() => JSON.parse(readFileSync(factsFile(take), 'utf8')).mtimeMs !== undefined);
    writeFileSync(factsFile(take), '{"version": 1, "size": "no"}');
    hashed = [];
    const r = await describeTakes(ff, [take], hash);
    assert.equal(r.infos[0]?.video?.codec, 'h264');
    assert.deepEqual(hashed, [take]);
  });
});
