/**
 * Faults around the render queue (issue 7): the adapter killed mid-render, two clients sharing one
 * adapter, a disk that fills up, a folder that cannot be written. The adapter is the real one with
 * the preview backend; disks are real where the machine allows it (tmpfs as root, chmod otherwise)
 * and a file-system double that fails halfway through a copy everywhere.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdapterClient } from '../../src/core/providers/fastvideo/client';
import { FastVideoProvider } from '../../src/core/providers/fastvideo/provider';
import type {
  ProviderHealth,
  ProviderId,
  RenderOptions,
  RenderRequest,
  RenderResult,
  VideoProvider,
} from '../../src/core/providers/types';
import type { ArtifactFs } from '../../src/core/render/artifacts';
import { listRenders } from '../../src/core/render/history';
import { RenderQueue, type RenderJobSnapshot } from '../../src/core/render/queue';
import type { ResolvedScene } from '../../src/core/timeline/resolve';
import { startTestAdapter, type TestAdapter } from '../helpers/adapterProcess';
import { repoRoot } from '../helpers/paths';
import { probeMp4 } from '../helpers/probe';

const TINY = path.join(repoRoot, 'test/fixtures/video/tiny.mp4');
const KEYFRAME = path.join(repoRoot, 'media/sample/keyframes/lighthouse.png');

const scene = (id: string, over: Partial<ResolvedScene> = {}): ResolvedScene => ({
  id,
  index: 0,
  title: id,
  prompt: `prompt ${id}`,
  keyframePath: KEYFRAME,
  width: 256,
  height: 256,
  fps: 8,
  numFrames: 9,
  seed: 7,
  ...over,
});

/** Every file under `dir`, hidden ones included, relative to it. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p).map((x) => path.join(e.name, x)));
    else out.push(e.name);
  }
  return out;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('render queue against the real adapter: faults', function () {
  this.timeout(90_000);
  let work: string;
  beforeEach(() => (work = mkdtempSync(path.join(os.tmpdir(), 'stv-faults-'))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('adapter killed mid-render: the job fails with a restart hint, no partial MP4 appears, and after a restart it renders again', async () => {
    const first = await startTestAdapter();
    let second: TestAdapter | undefined;
    try {
      const provider = new FastVideoProvider({ endpoint: first.url, pollIntervalMs: 100 });
      const outputRoot = path.join(work, 'renders');
      const queue = new RenderQueue({
        getProvider: () => Promise.resolve(provider),
        outputRootFor: () => outputRoot,
        artifactsRoot: path.join(work, 'artifacts'),
      });
      let restart: Promise<TestAdapter> | undefined;
      queue.onDidChange((job) => {
        if (job.progress?.stage === 'encoding' && !restart) {
          first.kill();
          restart = new Promise((r) => first.child.once('exit', r)).then(() =>
            startTestAdapter({ port: first.port, outputRoot: first.outputRoot }),
          );
        }
      });
      const crashed = await queue.whenDone(
        queue.enqueue({
          timelineFile: path.join(work, 't.timeline.json'),
          scene: scene('long', { width: 640, height: 352, numFrames: 241 }),
          providerId: 'fastvideo-local',
        }).jobId,
      );
      assert.equal(crashed.state, 'failed');
      assert.equal(crashed.error?.code, 'ADAPTER_CRASHED');
      assert.match(crashed.error?.hint ?? '', /Restart the adapter/);
      assert.deepEqual(
        walk(work).filter((f) => /\.mp4$/.test(f)),
        [],
        'no MP4, partial or not, among our outputs',
      );
      assert.deepEqual(
        walk(first.outputRoot).filter((f) => /\.mp4$/.test(f)),
        [],
        "and none on the adapter's side either",
      );

      second = await restart;
      const again = await queue.whenDone(
        queue.enqueue({
          timelineFile: path.join(work, 't.timeline.json'),
          scene: scene('long', { width: 640, height: 352, numFrames: 17 }),
          providerId: 'fastvideo-local',
        }).jobId,
      );
      assert.equal(again.state, 'succeeded', JSON.stringify(again.error));
      assert.deepEqual(probeMp4(again.artifact?.videoPath as string), {
        codec: 'h264',
        size: [640, 352],
        fps: 8,
        frames: 17,
      });
      assert.equal((await listRenders(outputRoot)).length, 1);
    } finally {
      await second?.dispose();
      await first.dispose();
    }
  });

  it('two clients (two VS Code windows) rendering against one adapter: all queued, all finish, nothing lost', async () => {
    const adapter = await startTestAdapter();
    try {
      const outputRoot = path.join(work, 'renders');
      const timelineFile = path.join(work, 't.timeline.json');
      const windows = [0, 1].map(
        (w) =>
          new RenderQueue({
            getProvider: () => Promise.resolve(new FastVideoProvider({ endpoint: adapter.url })),
            outputRootFor: () => outputRoot,
            artifactsRoot: path.join(work, `artifacts-${w}`),
          }),
      );
      let waitedInAdapterQueue = 0;
      for (const q of windows)
        q.onDidChange((j) => (waitedInAdapterQueue = Math.max(waitedInAdapterQueue, j.progress?.queuePosition ?? 0)));
      // Both windows render the same scene with the same seed into the same folder, plus one of their own.
      const jobs = windows.flatMap((q, w) =>
        [
          scene('shared', { width: 640, height: 352, numFrames: 65 }),
          scene(`own-${w}`, { width: 640, height: 352, numFrames: 65 }),
        ].map((s) => ({ q, snap: q.enqueue({ timelineFile, scene: s, providerId: 'fastvideo-local' }) })),
      );
      const done: RenderJobSnapshot[] = await Promise.all(jobs.map(({ q, snap }) => q.whenDone(snap.jobId)));
      assert.deepEqual(
        done.map((d) => d.state),
        ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
        JSON.stringify(done.map((d) => d.error)),
      );
      const videos = done.map((d) => d.artifact?.videoPath as string);
      assert.equal(new Set(videos).size, 4, 'no render replaced another');
      for (const v of videos) assert.equal(probeMp4(v).frames, 65);
      const shared = await listRenders(outputRoot, 'shared');
      assert.equal(shared.length, 2);
      // The adapter ran them one after another: its own start/finish times never overlap.
      const client = new AdapterClient({ endpoint: adapter.url });
      const serverJobs = await Promise.all(
        videos.map(async (v) => {
          const side = JSON.parse(readFileSync(v.replace(/\.mp4$/, '.json'), 'utf8')) as { server: { jobId: string } };
          return client.job(side.server.jobId);
        }),
      );
      const spans = serverJobs
        .map((j) => [Date.parse(j.startedAt as string), Date.parse(j.finishedAt as string)] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++)
        assert.ok(
          ((spans[i - 1] as readonly number[])[1] as number) <= ((spans[i] as readonly number[])[0] as number),
          'one job at a time on the adapter',
        );
      assert.ok(waitedInAdapterQueue >= 1, "one window's job waited behind the other's on the adapter");
      const h = await client.health();
      assert.equal(h.queueDepth, 0);
    } finally {
      await adapter.dispose();
    }
  });
});

/** Answers with a copy of a real tiny MP4 that the provider keeps (like the adapter's own file). */
class CopyProvider implements VideoProvider {
  readonly endpoint = 'memory://';
  constructor(readonly id: ProviderId = 'fastvideo-local') {}
  health(): Promise<ProviderHealth> {
    return Promise.resolve({
      provider: this.id,
      state: 'ok',
      endpoint: this.endpoint,
      summary: 'copy',
      checkedAt: new Date().toISOString(),
    });
  }
  render(req: RenderRequest, _o: RenderOptions): Promise<RenderResult> {
    return Promise.resolve({
      videoPath: TINY,
      videoIsTemporary: false,
      seed: req.seed,
      width: req.width,
      height: req.height,
      numFrames: req.numFrames,
      fps: req.fps,
      warnings: [],
      timings: { totalMs: 1 },
      server: {},
    });
  }
}

const enospc = (what: string) =>
  Object.assign(new Error(`ENOSPC: no space left on device, ${what}`), { code: 'ENOSPC' });

describe('render queue: full and unwritable output folders', () => {
  let work: string;
  let outputRoot: string;
  const timelineFile = () => path.join(work, 't.timeline.json');
  beforeEach(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'stv-disk-'));
    outputRoot = path.join(work, 'renders');
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const render = (fs?: ArtifactFs, root = outputRoot, id = 'a') => {
    const q = new RenderQueue({
      getProvider: () => Promise.resolve(new CopyProvider()),
      outputRootFor: () => root,
      artifactsRoot: path.join(work, 'artifacts'),
      ...(fs ? { fs } : {}),
    });
    return q.whenDone(
      q.enqueue({ timelineFile: timelineFile(), scene: scene(id), providerId: 'fastvideo-local' }).jobId,
    );
  };

  it('disk full halfway through the copy: DISK_FULL, no partial file, the earlier render untouched', async () => {
    const earlier = await render();
    const before = {
      video: sha(earlier.artifact?.videoPath as string),
      sidecar: sha(earlier.artifact?.sidecarPath as string),
    };
    const fullDisk: ArtifactFs = {
      ...fsp,
      // Like a real full disk: some bytes land in the destination before the write fails.
      copyFile: async (src, dest) => {
        const bytes = await fsp.readFile(src as string);
        await fsp.writeFile(dest as string, bytes.subarray(0, bytes.length >> 1), { flag: 'wx' });
        throw enospc(`copyfile '${String(src)}' -> '${String(dest)}'`);
      },
    };
    const failed = await render(fullDisk);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.code, 'DISK_FULL');
    assert.match(failed.error?.hint ?? '', /earlier renders were not touched/);
    assert.deepEqual(
      walk(outputRoot).sort(),
      [path.basename(earlier.artifact?.sidecarPath as string), path.basename(earlier.artifact?.videoPath as string)]
        .map((n) => path.join('a', n))
        .sort(),
    );
    assert.deepEqual(
      { video: sha(earlier.artifact?.videoPath as string), sidecar: sha(earlier.artifact?.sidecarPath as string) },
      before,
    );
    assert.equal((await listRenders(outputRoot)).length, 1);
  });

  it('disk full while writing the sidecar: the new video is withdrawn too (no video without its record)', async () => {
    const earlier = await render();
    const fullDisk: ArtifactFs = {
      ...fsp,
      writeFile: async (file, data, opts) => {
        if (String(file).endsWith('.json.part')) {
          await fsp.writeFile(file as string, String(data).slice(0, 10), opts as { flag: string });
          throw enospc(`write '${String(file)}'`);
        }
        return fsp.writeFile(file as string, data as string, opts as { flag: string });
      },
    };
    const failed = await render(fullDisk);
    assert.equal(failed.error?.code, 'DISK_FULL');
    assert.equal(walk(outputRoot).length, 2, walk(outputRoot).join(', '));
    assert.equal(sha(earlier.artifact?.videoPath as string), sha(TINY));
  });

  it('a real full disk (tmpfs, needs root on Linux): DISK_FULL and the earlier render untouched', async function () {
    const mnt = mountTmpfs(this, work, 'size=64k');
    try {
      const root = path.join(mnt, 'renders');
      const earlier = await render(undefined, root);
      assert.equal(earlier.state, 'succeeded');
      fillDisk(path.join(mnt, 'filler'));
      const failed = await render(undefined, root);
      assert.equal(failed.state, 'failed');
      assert.equal(failed.error?.code, 'DISK_FULL', JSON.stringify(failed.error));
      assert.deepEqual(walk(root).filter((f) => !f.startsWith('.')).length, 2);
      assert.deepEqual(
        walk(root).filter((f) => /\.part$|\.stv-/.test(f)),
        [],
      );
      assert.equal(sha(earlier.artifact?.videoPath as string), sha(TINY));
    } finally {
      umount(mnt);
    }
  });

  it('a read-only output folder: OUTPUT_NOT_WRITABLE, earlier renders untouched (EROFS as root, EACCES otherwise)', async function () {
    if (process.platform === 'win32') this.skip();
    const earlierRoot = path.join(work, 'ro');
    if (process.getuid?.() === 0) {
      const mnt = mountTmpfs(this, work, 'size=1m');
      try {
        const root = path.join(mnt, 'renders');
        const earlier = await render(undefined, root);
        execFileSync('mount', ['-o', 'remount,ro', mnt]);
        const failed = await render(undefined, root);
        assert.equal(failed.error?.code, 'OUTPUT_NOT_WRITABLE', JSON.stringify(failed.error));
        assert.match(failed.error?.message ?? '', /EROFS/);
        assert.equal(sha(earlier.artifact?.videoPath as string), sha(TINY));
        assert.equal(walk(root).length, 2);
      } finally {
        umount(mnt);
      }
      return;
    }
    const earlier = await render(undefined, earlierRoot);
    chmodSync(path.join(earlierRoot, 'a'), 0o555);
    try {
      const failed = await render(undefined, earlierRoot);
      assert.equal(failed.error?.code, 'OUTPUT_NOT_WRITABLE');
      assert.match(failed.error?.message ?? '', /EACCES/);
      assert.equal(sha(earlier.artifact?.videoPath as string), sha(TINY));
    } finally {
      chmodSync(path.join(earlierRoot, 'a'), 0o755);
    }
  });
});

/** Mounts a small tmpfs under `parent`, or skips the test where that is not allowed. */
function mountTmpfs(ctx: Mocha.Context, parent: string, options: string): string {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) ctx.skip();
  const mnt = path.join(parent, 'mnt');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    ctx.skip(); // a container without CAP_SYS_ADMIN
  }
  return mnt;
}

function umount(mnt: string): void {
  execFileSync('umount', [mnt]);
}

/** Writes until the file system says ENOSPC. */
function fillDisk(file: string): void {
  const chunk = Buffer.alloc(4096, 1);
  writeFileSync(file, '');
  for (let i = 0; i < 10_000; i++) {
    try {
      writeFileSync(file, chunk, { flag: 'a' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw e;
    }
  }
  throw new Error(`the disk never filled: ${statSync(file).size} bytes`);
}
