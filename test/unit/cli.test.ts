import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli';
import { repoRoot } from '../helpers/paths';
import { probeMp4 } from '../helpers/probe';
import { FakeComfyUI } from '../fakes/fakeComfyUI';
import { FastVideoProvider } from '../../src/core/providers/fastvideo/provider';
import { startTestAdapter } from '../helpers/adapterProcess';
import { captureIo } from '../helpers/cliIo';

/** Frames counted by the system ffprobe, or undefined where ffprobe is not installed. */
function ffprobeFrames(file: string): number | undefined {
  try {
    const out = execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=codec_name,nb_read_frames',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8' },
    );
    const s = (JSON.parse(out) as { streams: { codec_name: string; nb_read_frames: string }[] }).streams[0];
    assert.equal(s?.codec_name, 'h264');
    return Number(s?.nb_read_frames);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const io = captureIo;

describe('scene-to-video CLI', function () {
  this.timeout(120_000);
  let ws: string;
  beforeEach(() => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'stv-cli-'));
    cpSync(path.join(repoRoot, 'media/sample'), ws, {
      recursive: true,
      filter: (src) => !/renders|artifacts/.test(src),
    });
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  it('renders the sample timeline to six valid MP4s (two shots, one bookend clip), starting a preview adapter itself', async () => {
    const t = io();
    // Port 9 (discard) never answers: the CLI must start its own adapter.
    const code = await main(
      ['render', path.join(ws, 'sample.timeline.json'), '--provider', 'fastvideo-local', '--json'],
      t.io,
    );
    assert.equal(code, EXIT.ok, t.err());
    const summary = JSON.parse(t.out().trim().split('\n').pop() as string) as { succeeded: number; videos: string[] };
    assert.equal(summary.succeeded, 6);
    for (const v of summary.videos) {
      const p = probeMp4(v);
      assert.equal(p.codec, 'h264');
      assert.deepEqual(p.size, [640, 352]);
    }
    assert.deepEqual(readdirSync(path.join(ws, 'renders')).sort(), [
      'city-night',
      'city-rain',
      'forest-stream',
      'lighthouse',
      'nightfall',
    ]);
    // Shots render one folder down, each with its own sidecar; the shot of 1.5 s at 16 fps has 25 frames.
    assert.deepEqual(readdirSync(path.join(ws, 'renders', 'city-night')).sort(), ['wide', 'windows']);
    assert.equal(probeMp4(summary.videos[4] as string).frames, 25);
    assert.equal(probeMp4(summary.videos[1] as string).frames, 33);
    // The system ffprobe too, where installed (CI installs ffmpeg): an independent decoder.
    const ffprobe = ffprobeFrames(summary.videos[1] as string);
    if (ffprobe !== undefined) assert.equal(ffprobe, 33);
    // One run record, in a hidden folder beside the timeline (nothing else in the workspace).
    const runs = readdirSync(path.join(ws, '.scene-to-video', 'runs', 'fastvideo-local'));
    assert.equal(runs.length, 1);
  });

  it('health: exit 0 with a summary when the adapter answers, 3 when nothing does', async () => {
    const adapter = await startTestAdapter();
    try {
      const up = io();
      assert.equal(
        await main(['health', '--provider', 'fastvideo-local', '--endpoint', adapter.url, '--json'], up.io),
        EXIT.ok,
        up.err(),
      );
      const h = JSON.parse(up.out()) as { state: string; notAi: boolean };
      assert.equal(h.state, 'ok');
      assert.equal(h.notAi, true);
    } finally {
      await adapter.dispose();
    }
    const down = io();
    assert.equal(
      await main(['health', '--provider', 'fastvideo-local', '--endpoint', 'http://127.0.0.1:9'], down.io),
      EXIT.unreachable,
    );
    assert.match(down.out(), /down/);
  });

  it('--start-adapter: an unreachable ComfyUI falls back to a preview adapter it starts and stops', async () => {
    const t = io();
    const code = await main(
      [
        'render',
        path.join(ws, 'sample.timeline.json'),
        '--scene',
        'forest-stream',
        '--provider',
        'comfyui-local',
        '--endpoint',
        'http://127.0.0.1:9',
        '--start-adapter',
        '--json',
      ],
      t.io,
    );
    assert.equal(code, EXIT.ok, t.err());
    const lines = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; message?: string; videos?: string[] });
    assert.ok(
      lines.some(
        (l) => l.type === 'log' && /starting the FastVideo adapter with the preview backend/.test(l.message ?? ''),
      ),
    );
    const summary = lines.pop();
    assert.equal(summary?.videos?.length, 1);
    assert.equal(probeMp4(summary?.videos?.[0] as string).frames, 33);
  });

  it('validate lists scenes; bad timelines exit 2 with file:line:col', async () => {
    const ok = io();
    assert.equal(await main(['validate', path.join(ws, 'sample.timeline.json')], ok.io), EXIT.ok);
    assert.match(ok.out(), /6 clip\(s\), no problems/);
    assert.match(ok.out(), / {2}city-night\/windows {2}640x352 25 frames @ 16 fps {2}seed 1238/);
    const bad = path.join(ws, 'bad.timeline.json');
    writeFileSync(
      bad,
      '{ "version": 1, "title": "t",\n  "scenes": [ { "id": "a", "title": "A", "prompt": "p", "frames": 120 } ] }',
    );
    const t = io();
    assert.equal(await main(['render', bad], t.io), EXIT.badInput);
    assert.match(t.err(), /bad\.timeline\.json:2:\d+: error: .*Nearest valid: 117 or 121/);
  });

  it('names unknown scenes and unknown providers (exit 2), and an unreachable explicit endpoint (exit 3)', async () => {
    const a = io();
    assert.equal(await main(['render', path.join(ws, 'sample.timeline.json'), '--scene', 'nope'], a.io), EXIT.badInput);
    assert.match(a.err(), /No scene with id "nope".*lighthouse, forest-stream, city-rain/);
    const b = io();
    assert.equal(
      await main(['render', path.join(ws, 'sample.timeline.json'), '--provider', 'sora'], b.io),
      EXIT.badInput,
    );
    const c = io();
    assert.equal(
      await main(
        [
          'render',
          path.join(ws, 'sample.timeline.json'),
          '--provider',
          'fastvideo-local',
          '--endpoint',
          'http://127.0.0.1:9',
        ],
        c.io,
      ),
      EXIT.unreachable,
    );
    assert.match(c.err(), /not reachable at http:\/\/127\.0\.0\.1:9/);
  });

  it('renders through ComfyUI with a user workflow and mapping (the comfyui-real-check path)', async () => {
    const fake = await new FakeComfyUI({ videoFixture: path.join(repoRoot, 'test/fixtures/video/tiny.mp4') }).start();
    try {
      const t = io();
      const code = await main(
        [
          'render',
          path.join(ws, 'sample.timeline.json'),
          '--scene',
          'lighthouse',
          '--provider',
          'comfyui-local',
          '--endpoint',
          fake.url,
          '--workflow',
          path.join(repoRoot, 'test/fixtures/comfyui/model-free.workflow.json'),
          '--mapping',
          path.join(repoRoot, 'test/fixtures/comfyui/model-free.mapping.json'),
          '--json',
        ],
        t.io,
      );
      assert.equal(code, EXIT.ok, t.err());
      const summary = JSON.parse(t.out().trim().split('\n').pop() as string) as { videos: string[] };
      assert.equal(summary.videos.length, 1);
      assert.equal(probeMp4(summary.videos[0] as string).codec, 'h264');
      assert.equal(fake.received.prompts[0]?.prompt['2']?.inputs.amount, 33);
      const bad = io();
      assert.equal(
        await main(
          [
            'render',
            path.join(ws, 'sample.timeline.json'),
            '--provider',
            'comfyui-local',
            '--endpoint',
            fake.url,
            '--workflow',
            path.join(ws, 'missing.json'),
            '--mapping',
            path.join(repoRoot, 'test/fixtures/comfyui/model-free.mapping.json'),
          ],
          bad.io,
        ),
        EXIT.badInput,
      );
      assert.match(bad.err(), /WORKFLOW_INVALID/);
    } finally {
      await fake.stop();
    }
  });

  it('a real SIGINT to the CLI process cancels, stops the adapter it started, and exits 130', async () => {
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'out', 'src', 'cli.js'),
        'render',
        path.join(ws, 'sample.timeline.json'),
        '--provider',
        'fastvideo-local',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let sent = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (!sent && /"stage":"encoding"/.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, EXIT.cancelled, out);
    const summary = JSON.parse(out.trim().split('\n').pop() as string) as { cancelled: number; succeeded: number };
    assert.equal(summary.cancelled + summary.succeeded, 6); // the sample's six clips
    assert.ok(summary.cancelled >= 2);
    const adapterPort = /127\.0\.0\.1:(\d+): preview backend/.exec(out)?.[1];
    assert.ok(adapterPort, out);
    const h = await new FastVideoProvider({ endpoint: `http://127.0.0.1:${adapterPort}` }).health();
    assert.equal(h.state, 'down', 'the adapter the CLI started is gone');
  });

  it('Ctrl-C cancels on the server and exits 130', async () => {
    let interrupt!: () => void;
    const t = io(new Promise<void>((r) => (interrupt = r)));
    const timeline = path.join(ws, 'sample.timeline.json');
    const run = main(['render', timeline, '--provider', 'fastvideo-local', '--json'], t.io);
    // Interrupt once the first scene is encoding.
    const started = Date.now();
    while (!/"stage":"encoding"/.test(t.out()) && Date.now() - started < 60_000)
      await new Promise((r) => setTimeout(r, 20));
    interrupt();
    assert.equal(await run, EXIT.cancelled, t.err());
    const summary = JSON.parse(t.out().trim().split('\n').pop() as string) as { cancelled: number };
    assert.ok(summary.cancelled >= 2, t.out());
  });
});
