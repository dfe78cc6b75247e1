/**
 * The ComfyUI provider against a REAL ComfyUI server, with workflows that need no model files so
 * a CPU-only server runs them. Skipped unless COMFYUI_URL is set (scripts/comfyui-real-check.sh
 * sets it); see docs/comfyui.md for how to run a server for it.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StvError } from '../../src/core/errors';
import {
  ComfyClient,
  ComfyUIProvider,
  createComfyUIProvider,
  missingRequirements,
} from '../../src/core/providers/comfyui';
import {
  BUILTIN_IMAGE_MAPPING,
  BUILTIN_MAPPING,
  builtinImageWorkflow,
  builtinWorkflow,
  type Workflow,
} from '../../src/core/providers/comfyui/workflow';
import { generateKeyframes } from '../../src/core/keyframes/variants';
import { loadTimelineFile } from '../../src/core/timeline/load';
import { readImageSize } from '../../src/core/timeline/imageSize';
import type { RenderProgress, RenderRequest, VideoProvider } from '../../src/core/providers/types';
import { DEFAULT_SETTINGS, type Settings } from '../../src/core/settings/schema';
import { repoRoot } from '../helpers/paths';
import { TcpProxy } from '../helpers/tcpProxy';
import { until } from '../helpers/until';

const COMFYUI_URL = process.env.COMFYUI_URL;
const fixture = (name: string) => path.join(repoRoot, 'test/fixtures/comfyui', name);
type Flow = 'model-free' | 'model-free-slow' | 'sized' | 'no-keyframe';

/** What the real server keeps about a prompt: [number, prompt_id, prompt, extra_data, outputs]. */
type QueueRow = [number, string, unknown, { client_id?: string }, unknown];
interface RealHistoryEntry {
  prompt: QueueRow;
  outputs: Record<string, unknown>;
  status: { status_str: string; completed: boolean; messages: [string, Record<string, unknown>][] };
}

(COMFYUI_URL ? describe : describe.skip)('ComfyUI provider against a real ComfyUI server (COMFYUI_URL)', function () {
  this.timeout(300_000);
  const url = (COMFYUI_URL ?? '').replace(/\/+$/, '');
  let scratch: string;
  // ComfyUI caches node outputs between prompts: a distinct frame count per render keeps the slow
  // node from being served from the cache (which would finish before a cancel could land).
  let frames = 21 + 4 * Math.floor(Math.random() * 8);
  const nextFrames = () => (frames += 4);

  const make = (flow: Flow, over: Partial<Settings['comfyUI']> = {}): Promise<VideoProvider> =>
    createComfyUIProvider({
      ...DEFAULT_SETTINGS.comfyUI,
      url,
      clientId: `stv-real-check-${randomUUID()}`,
      workflowPath: fixture(`${flow}.workflow.json`),
      mapping: JSON.parse(readFileSync(fixture(`${flow}.mapping.json`), 'utf8')) as Record<string, string>,
      timeoutSeconds: 240,
      ...over,
    });
  const req = (over: Partial<RenderRequest> = {}): RenderRequest => ({
    sceneId: 'lighthouse',
    prompt: 'a lighthouse at dusk',
    keyframePath: path.join(repoRoot, 'media/sample/keyframes/lighthouse.png'),
    width: 640,
    height: 352,
    numFrames: nextFrames(),
    fps: 8,
    seed: 1234,
    ...over,
  });
  const getJson = async <T>(p: string): Promise<T> => (await (await fetch(`${url}${p}`)).json()) as T;
  const recentHistory = async (clientId: string) =>
    Object.entries(await getJson<Record<string, RealHistoryEntry>>('/history?max_items=20')).filter(
      ([, e]) => e.prompt[3]?.client_id === clientId,
    );
  const queued = async (clientId: string) => {
    const q = await getJson<{ queue_running: QueueRow[]; queue_pending: QueueRow[] }>('/queue');
    const mine = (rows: QueueRow[]) => rows.filter((r) => r[3]?.client_id === clientId).map((r) => r[1]);
    return { running: mine(q.queue_running), pending: mine(q.queue_pending) };
  };
  const clientIdOf = (p: VideoProvider) => (p as ComfyUIProvider).clientId;
  const isRunning = async (promptId: string) =>
    (await getJson<{ queue_running: QueueRow[] }>('/queue')).queue_running.some((row) => row[1] === promptId);

  before(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-comfy-real-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('health: ok for the model-free workflow; the built-in one names each missing model file and its folder', async () => {
    const h = await (await make('model-free')).health();
    assert.equal(h.state, 'ok', h.summary);
    assert.match(h.summary, /^ComfyUI \d+\.\d+/);
    assert.ok(h.gpuName, 'the device name from /system_stats');
    const builtin = await (await createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, url })).health();
    console.log(`      built-in workflow: ${builtin.state}: ${builtin.summary}`);
    if (builtin.state === 'degraded') {
      assert.equal(builtin.error?.code, 'MISSING_NODES');
      assert.match(
        builtin.summary,
        /model file wan2\.2_ti2v_5B_fp16\.safetensors \(node 1 UNETLoader: put it in ComfyUI\/models\/diffusion_models\)/,
      );
    }
  });

  it('renders the model-free workflow to a real H.264 MP4, reporting progress from /ws', async () => {
    const p = await make('model-free');
    const progress: RenderProgress[] = [];
    const request = req();
    const r = await p.render(request, {
      signal: new AbortController().signal,
      scratchDir: scratch,
      onProgress: (x) => progress.push(x),
    });
    const probe = JSON.parse(
      execFileSync(
        'ffprobe',
        [
          '-v',
          'error',
          '-select_streams',
          'v:0',
          '-count_frames',
          '-show_entries',
          'stream=codec_name,width,height,nb_read_frames,avg_frame_rate',
          '-of',
          'json',
          r.videoPath,
        ],
        { encoding: 'utf8' },
      ),
    ) as {
      streams: { codec_name: string; width: number; height: number; nb_read_frames: string; avg_frame_rate: string }[];
    };
    const v = probe.streams[0];
    console.log(
      `      ${path.basename(r.videoPath)}: ${JSON.stringify(v)}; prompt ${String(r.server.promptId)}; progress: ${progress.map((x) => `${x.stage}${x.message ? ` ${x.message}` : ''} ${x.fraction.toFixed(2)}`).join(' | ')}`,
    );
    assert.deepEqual(
      [v?.codec_name, v?.width, v?.height, Number(v?.nb_read_frames), v?.avg_frame_rate],
      ['h264', 640, 352, request.numFrames, '8/1'],
    );
    assert.equal(r.seed, 1234);
    assert.deepEqual(
      progress.map((x) => x.fraction),
      [...progress.map((x) => x.fraction)].sort((a, b) => a - b),
    );
    assert.equal(progress[0]?.stage, 'uploading');
    const nodes = progress.map((x) => x.message).filter((m) => m?.startsWith('node '));
    // LoadImage may come from ComfyUI's cache (same keyframe as an earlier prompt): no `executing` then.
    const all = ['node 1 (LoadImage)', 'node 2 (RepeatImageBatch)', 'node 3 (CreateVideo)', 'node 4 (SaveVideo)'];
    assert.deepEqual(nodes, all.slice(all.length - nodes.length));
    assert.ok(nodes.length >= 3, nodes.join(', '));
    const [entry] = (await recentHistory(clientIdOf(p))).filter(([id]) => id === r.server.promptId);
    assert.equal(entry?.[1].status.status_str, 'success');
  });

  it('names the node and the exception of an execution_error (a keyframe that is not an image)', async () => {
    const broken = path.join(scratch, 'broken.png');
    // A PNG signature and IHDR (so the extension's magic-byte check lets it through, issue 14) with a
    // wrong checksum and garbage after it: Pillow, and so LoadImage, cannot identify it.
    const ihdr = Buffer.alloc(25);
    ihdr.writeUInt32BE(13, 0);
    ihdr.write('IHDR', 4, 'ascii');
    ihdr.writeUInt32BE(64, 8);
    ihdr.writeUInt32BE(64, 12);
    ihdr.set([8, 2, 0, 0, 0, 0, 0, 0, 0], 16);
    const garbage = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 251));
    writeFileSync(
      broken,
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr, garbage]),
    );
    const p = await make('model-free');
    await assert.rejects(
      p.render(req({ keyframePath: broken }), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: () => undefined,
      }),
      (e: unknown) => {
        assert.ok(e instanceof StvError, String(e));
        console.log(`      [${e.code}] ${e.message}`);
        assert.equal(e.code, 'EXECUTION_ERROR');
        assert.match(e.message, /node 1 \(LoadImage\): PIL\.UnidentifiedImageError: cannot identify image file/);
        return true;
      },
    );
  });

  it("turns the built-in workflow's rejection into node, input and missing file (when the models are absent)", async function () {
    const builtin = await createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, url });
    if ((await builtin.health()).state === 'ok') this.skip(); // this server has the Wan 2.2 models
    await assert.rejects(
      builtin.render(req({ numFrames: 33, width: 640, height: 352 }), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: () => undefined,
      }),
      (e: unknown) => {
        assert.ok(e instanceof StvError, String(e));
        console.log(`      [${e.code}] ${e.message}\n      hint: ${e.hint}`);
        assert.equal(e.code, 'PROMPT_REJECTED');
        assert.match(
          e.message,
          /node 1 \(UNETLoader\) input "unet_name": Value not in list — unet_name: 'wan2\.2_ti2v_5B_fp16\.safetensors' not in/,
        );
        assert.match(e.hint ?? '', /wan2\.2_ti2v_5B_fp16\.safetensors → ComfyUI\/models\/diffusion_models/);
        return true;
      },
    );
  });

  it('cancel while running: ComfyUI interrupts the prompt and saves nothing', async () => {
    const p = await make('model-free-slow');
    const ac = new AbortController();
    const seen: string[] = [];
    const run = p.render(req(), {
      signal: ac.signal,
      scratchDir: scratch,
      onProgress: (x) => {
        if (x.message) seen.push(x.message);
        if (x.message?.startsWith('node 3 ') && !ac.signal.aborted) ac.abort(); // during the slow upscale
      },
    });
    // ComfyUI checks for interrupts between nodes: on a loaded machine the slow node can outlast the
    // provider's 10 s wait for the confirmation. Either way the server's history must show the interrupt.
    await assert.rejects(
      run,
      (e: unknown) =>
        e instanceof StvError &&
        e.code === 'CANCELLED' &&
        /ComfyUI stopped the prompt|asked to stop it/.test(e.message),
    );
    await until(
      'the interrupted prompt in /history',
      async () => (await recentHistory(clientIdOf(p))).length > 0,
      60_000,
      100,
    );
    const [[id, entry] = []] = await recentHistory(clientIdOf(p));
    console.log(
      `      prompt ${id}: ${entry?.status.status_str}, messages ${entry?.status.messages.map(([t]) => t).join(', ')}; nodes seen: ${seen.join(', ')}`,
    );
    assert.equal(entry?.status.status_str, 'error');
    assert.ok(
      entry.status.messages.some(
        ([t, d]) => t === 'execution_interrupted' && /^(CreateVideo|ImageScaleBy)$/.test(String(d.node_type)),
      ),
      'stopped at or right after the upscale, before the video was made',
    );
    assert.deepEqual(entry.outputs, {});
    assert.deepEqual(await queued(clientIdOf(p)), { running: [], pending: [] });
  });

  it("cancel while queued: the prompt is deleted from ComfyUI's queue and never runs", async () => {
    const first = await make('model-free-slow'); // another window's render, keeping ComfyUI busy
    const second = await make('model-free-slow');
    const acFirst = new AbortController();
    const acSecond = new AbortController();
    let firstRunning = false;
    const a = first.render(req(), {
      signal: acFirst.signal,
      scratchDir: scratch,
      onProgress: (x) => (firstRunning ||= !!x.message?.startsWith('node 3 ')),
    });
    await until('the first prompt to run', () => firstRunning, 60_000, 100);
    const queuePositions: number[] = [];
    const b = second.render(req(), {
      signal: acSecond.signal,
      scratchDir: scratch,
      onProgress: (x) => x.queuePosition !== undefined && queuePositions.push(x.queuePosition),
    });
    await until(
      'the second prompt in the pending queue',
      async () => (await queued(clientIdOf(second))).pending.length === 1,
      60_000,
      100,
    );
    acSecond.abort();
    await assert.rejects(
      b,
      (e: unknown) => e instanceof StvError && e.code === 'CANCELLED' && /removed from ComfyUI's queue/.test(e.message),
    );
    assert.deepEqual(await queued(clientIdOf(second)), { running: [], pending: [] });
    assert.deepEqual((await queued(clientIdOf(first))).running.length, 1, 'the other render was left alone');
    acFirst.abort();
    await assert.rejects(a, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    await until(
      'the first prompt in /history',
      async () => (await recentHistory(clientIdOf(first))).length > 0,
      60_000,
      100,
    );
    assert.deepEqual(await recentHistory(clientIdOf(second)), [], 'the deleted prompt never ran');
    console.log(`      queue positions reported to the second render: ${queuePositions.join(', ') || 'none'}`);
  });

  it('reconnects when the WebSocket drops mid-render and still delivers the MP4', async () => {
    const target = new URL(url);
    const proxy = await new TcpProxy(Number(target.port || 80)).start();
    try {
      const p = await make('model-free-slow', { url: proxy.url });
      let cut = 0;
      const after: string[] = [];
      const r = await p.render(req(), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: (x) => {
          if (cut && x.message) after.push(x.message);
          if (!cut && x.message?.startsWith('node 3 ')) cut = proxy.cutAll(); // drops the socket mid-render
        },
      });
      console.log(`      cut ${cut} connections during node 3; afterwards: ${after.join(', ')}`);
      assert.ok(cut > 0);
      assert.ok(
        after.some((m) => /^node [45] /.test(m)),
        'progress kept coming over the new socket',
      );
      const frames = execFileSync(
        'ffprobe',
        [
          '-v',
          'error',
          '-count_frames',
          '-select_streams',
          'v:0',
          '-show_entries',
          'stream=nb_read_frames',
          '-of',
          'csv=p=0',
          r.videoPath,
        ],
        { encoding: 'utf8' },
      ).trim();
      assert.equal(Number(frames), r.numFrames);
    } finally {
      await proxy.stop();
    }
  });
  const probe = (file: string) => {
    const out = execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-count_frames',
        '-show_entries',
        'stream=codec_name,width,height,nb_read_frames,avg_frame_rate',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8' },
    );
    const v = (
      JSON.parse(out) as {
        streams: {
          codec_name: string;
          width: number;
          height: number;
          nb_read_frames: string;
          avg_frame_rate: string;
        }[];
      }
    ).streams[0];
    return [v?.codec_name, v?.width, v?.height, Number(v?.nb_read_frames), v?.avg_frame_rate];
  };
  const history = async (id: string) => (await getJson<Record<string, RealHistoryEntry>>(`/history/${id}`))[id];

  it("maps size and fps: ImageScale and ImageInvert in the chain, the MP4 has the scene's size, fps and length", async () => {
    const p = await make('sized');
    const request = req({ width: 320, height: 192, fps: 12 });
    const r = await p.render(request, {
      signal: new AbortController().signal,
      scratchDir: scratch,
      onProgress: () => undefined,
    });
    const v = probe(r.videoPath);
    console.log(`      ${JSON.stringify(v)}`);
    assert.deepEqual(v, ['h264', 320, 192, request.numFrames, '12/1']);
  });

  it('a user workflow whose node ids are not small integers: filled at those ids, progress names them', async () => {
    const p = await make('sized');
    const labels: string[] = [];
    const request = req({ width: 256, height: 144, fps: 10 });
    const r = await p.render(request, {
      signal: new AbortController().signal,
      scratchDir: scratch,
      onProgress: (x) => x.message && labels.push(x.message),
    });
    const prompt = (await history(String(r.server.promptId)))?.prompt[2] as Workflow;
    assert.deepEqual(
      [
        prompt['scale-1f3a']?.inputs.width,
        prompt['scale-1f3a']?.inputs.height,
        prompt.repeat_frames?.inputs.amount,
        prompt.video?.inputs.fps,
      ],
      [256, 144, request.numFrames, 10],
    );
    assert.match(String(prompt.keyframe?.inputs.image), /^scene-to-video\/lighthouse-\w{12}\.png$/);
    assert.match(String(prompt.save?.inputs.filename_prefix), /^scene-to-video\/lighthouse/);
    for (const l of ['node scale-1f3a (ImageScale)', 'node invert (ImageInvert)', 'node save (SaveVideo)'])
      assert.ok(labels.includes(l), `${l} in ${labels.join(', ')}`);
  });

  it('a keyframe-less workflow renders from the prompt side alone, and says a keyframe was not used', async () => {
    const p = await make('no-keyframe');
    const withKey = await p.render(req({ width: 256, height: 160 }), {
      signal: new AbortController().signal,
      scratchDir: scratch,
      onProgress: () => undefined,
    });
    assert.deepEqual(probe(withKey.videoPath).slice(0, 3), ['h264', 256, 160]);
    assert.ok(
      withKey.warnings.some((w) => w.code === 'KEYFRAME_IGNORED'),
      JSON.stringify(withKey.warnings),
    );
    const { keyframePath: _unused, ...noKey } = req({ width: 192, height: 128 });
    const without = await p.render(noKey, {
      signal: new AbortController().signal,
      scratchDir: scratch,
      onProgress: () => undefined,
    });
    assert.deepEqual(probe(without.videoPath).slice(0, 3), ['h264', 192, 128]);
    assert.ok(!without.warnings.some((w) => w.code === 'KEYFRAME_IGNORED'));
  });

  it("health checks the built-in workflow's node classes and inputs against this server's /object_info", async () => {
    const info = await new ComfyClient(url).objectInfo();
    const wf = builtinWorkflow();
    for (const [id, node] of Object.entries(wf)) {
      const spec = info[node.class_type]?.input;
      assert.ok(spec, `node ${id}: ${node.class_type} is in /object_info`);
      for (const input of Object.keys(node.inputs))
        assert.ok(input in { ...spec.required, ...spec.optional }, `node ${id} ${node.class_type} has input ${input}`);
    }
    // So all health can find missing is model files (none when this server has the Wan 2.2 models).
    const missing = missingRequirements(wf, BUILTIN_MAPPING, info);
    assert.ok(
      missing.every((m) => m.startsWith('model file ')),
      missing.join('; '),
    );
  });

  it('keyframes: a model-free image workflow runs end to end through SaveImage into a kept variant (issue 21)', async () => {
    const provider = await createComfyUIProvider({
      ...DEFAULT_SETTINGS.comfyUI,
      url,
      clientId: `stv-real-check-${randomUUID()}`,
      imageWorkflowPath: fixture('image-model-free.workflow.json'),
      imageMapping: JSON.parse(readFileSync(fixture('image-model-free.mapping.json'), 'utf8')) as Record<
        string,
        string
      >,
      timeoutSeconds: 240,
    });
    const h = await provider.health();
    assert.equal(h.makesKeyframes, true, h.keyframesProblem);
    const timelineFile = path.join(scratch, 'kf.timeline.json');
    writeFileSync(
      timelineFile,
      JSON.stringify({
        version: 2,
        title: 'k',
        defaults: { width: 384, height: 256 },
        scenes: [{ id: 'pier', title: 'Pier', shots: [{ id: 'a', prompt: 'a pier at night' }] }],
      }),
    );
    const loaded = await loadTimelineFile(timelineFile);
    assert.ok(loaded.ok);
    const stages: string[] = [];
    const made = await generateKeyframes({
      timeline: loaded.timeline,
      timelineFile,
      clipKey: 'pier/a',
      which: 'start',
      variants: 2,
      seed: 10,
      provider,
      signal: new AbortController().signal,
      onProgress: (_i, _n, p) => stages.push(p.stage),
    });
    assert.equal(made.length, 2);
    for (const v of made) {
      assert.deepEqual(readImageSize(v.imagePath), { width: 384, height: 256 }, 'EmptyImage got the mapped size');
      assert.equal(v.workflow, 'image-model-free.workflow.json');
      assert.equal(v.provider, 'comfyui-local');
      const server = (JSON.parse(readFileSync(v.sidecarPath, 'utf8')) as { server: { output: { type: string } } })
        .server;
      assert.equal(server.output.type, 'output', 'read from SaveImage, not a preview');
    }
    assert.ok(stages.includes('downloading'), stages.join(','));
  });

  it('keyframes: the built-in text-to-image workflow fits this server, and health names what it lacks', async () => {
    const info = await new ComfyClient(url).objectInfo();
    const wf = builtinImageWorkflow();
    for (const [id, node] of Object.entries(wf)) {
      const spec = info[node.class_type]?.input;
      assert.ok(spec, `node ${id}: ${node.class_type} is in /object_info`);
      for (const input of Object.keys(node.inputs))
        assert.ok(input in { ...spec.required, ...spec.optional }, `node ${id} ${node.class_type} has input ${input}`);
    }
    const h = await (await createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, url })).health();
    const missing = missingRequirements(wf, BUILTIN_IMAGE_MAPPING, info);
    assert.equal(h.makesKeyframes, missing.length === 0);
    if (missing.length) assert.match(h.keyframesProblem ?? '', /model file wan2\.2_ti2v_5B_fp16\.safetensors/);
  });

  it("keyframes: ComfyUI accepts the built-in image workflow's length 1; only absent model files are refused", async function () {
    const builtin = await createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, url });
    if ((await builtin.health()).makesKeyframes) this.skip(); // this server has the Wan 2.2 models
    const image = builtin.renderImage?.(
      { sceneId: 'pier', prompt: 'a pier at night', width: 640, height: 352, seed: 3 },
      { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined },
    );
    await assert.rejects(image ?? Promise.reject(new Error('no renderImage')), (e: unknown) => {
      assert.ok(e instanceof StvError, String(e));
      assert.equal(e.code, 'PROMPT_REJECTED');
      // Every refused input is a model file (Value not in list); none is the latent's length.
      assert.match(e.message, /node 1 \(UNETLoader\) input "unet_name": Value not in list/);
      assert.doesNotMatch(e.message, /length/);
      return true;
    });
  });

  it("a render while another client's prompt runs: our cancel, queued or running, leaves that prompt alone", async () => {
    const client = new ComfyClient(url);
    const image = await client.uploadImage(path.join(repoRoot, 'media/sample/keyframes/lighthouse.png'));
    const theirs = (amount = nextFrames()) => {
      const wf = JSON.parse(readFileSync(fixture('model-free-slow.workflow.json'), 'utf8')) as Workflow;
      (wf['1'] as { inputs: Record<string, unknown> }).inputs.image = image;
      (wf['2'] as { inputs: Record<string, unknown> }).inputs.amount = amount;
      return client.queuePrompt(wf, `someone-else-${randomUUID()}`);
    };
    const succeeded = async (id: string) =>
      (await until(`their prompt ${id} in /history`, () => history(id), 120_000, 200)).status.status_str;
    // 1. Theirs runs, ours waits behind it and is cancelled: deleted from the queue. How long theirs
    // runs is up to this machine: when it finished before ours reached the queue, ours ran instead,
    // and the case is tried again with a prompt of theirs twice as long.
    let first = '';
    for (let attempt = 0, amount = nextFrames(); !first; attempt++, amount = 2 * amount + 1) {
      assert.ok(attempt < 4, 'their prompt kept finishing before ours was queued behind it');
      const id = await theirs(amount);
      await until(
        'their prompt to run or finish',
        async () => (await isRunning(id)) || (await history(id)),
        60_000,
        50,
      );
      const p = await make('model-free');
      const ac = new AbortController();
      let settled = false;
      const ours = p.render(req(), { signal: ac.signal, scratchDir: scratch, onProgress: () => undefined });
      void ours.then(
        () => (settled = true),
        () => (settled = true),
      );
      const pendingBehindTheirs = async () =>
        (await queued(clientIdOf(p))).pending.length === 1 && (await isRunning(id));
      await until('our prompt pending, or run', async () => settled || (await pendingBehindTheirs()), 120_000, 50);
      if (settled) {
        await ours; // theirs was done first: ours rendered; try again with a longer one of theirs
        console.log(`      attempt ${attempt + 1}: their prompt (${amount} frames) finished before ours was queued`);
        continue;
      }
      ac.abort();
      await assert.rejects(
        ours,
        (e: unknown) =>
          e instanceof StvError && e.code === 'CANCELLED' && /removed from ComfyUI's queue/.test(e.message),
      );
      assert.equal(await succeeded(id), 'success', 'their running prompt finished');
      first = id;
    }
    // 2. Ours runs, theirs waits behind it; we interrupt ours: theirs still runs to the end.
    const slow = await make('model-free-slow');
    const ac2 = new AbortController();
    let second = '';
    const ours2 = slow.render(req(), {
      signal: ac2.signal,
      scratchDir: scratch,
      onProgress: (x) => {
        if (x.message?.startsWith('node 3 ') && !second) void theirs().then((id) => ((second = id), ac2.abort()));
      },
    });
    await assert.rejects(ours2, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    assert.ok(second);
    assert.equal(await succeeded(second), 'success', 'their queued prompt ran after our interrupted one');
    console.log(`      their prompts ${first} and ${second}: success; ours: cancelled`);
  });
});
