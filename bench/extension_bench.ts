/**
 * Extension-side benchmarks, as ratios against a baseline taken in the same run:
 *   - progress path: backend reports a step (emittedAt) → our client has parsed the event;
 *   - a 1,000-scene timeline: load + validate (with positions) against JSON.parse of the same file;
 *   - bundle sizes of the production build.
 * Prints one JSON object. Run through `npm run bench`.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startAdapterProcess } from '../src/core/launch/adapterProcess';
import { AdapterClient } from '../src/core/providers/fastvideo/client';
import { parseTimeline } from '../src/core/timeline/load';

const root = path.resolve(__dirname, '../..');
const venvPython = path.join(root, 'python/.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function progressLatency(): Promise<Record<string, number>> {
  const a = await startAdapterProcess({
    pythonPath: venvPython,
    backend: 'preview',
    cwd: root,
    outputRoot: path.join(root, 'test-results', 'bench-adapter'),
    artifactsDir: path.join(root, 'test-results', 'bench-adapter', 'artifacts'),
  });
  try {
    const client = new AdapterClient({ endpoint: a.url });
    const lat: number[] = [];
    // ffmpeg reports every 50 ms: five 720p jobs give about a hundred events.
    for (let i = 0; i < 5; i++) {
      const id = await client.submit({ prompt: 'bench', width: 1280, height: 704, numFrames: 121, fps: 24, seed: i });
      for await (const ev of client.events(id, undefined, new AbortController().signal)) {
        const data = JSON.parse(ev.data) as { emittedAt?: number };
        if (ev.event === 'progress' && data.emittedAt) lat.push(Date.now() - data.emittedAt);
      }
    }
    return { events: lat.length, medianMs: +pct(lat, 50).toFixed(2), p95Ms: +pct(lat, 95).toFixed(2) };
  } finally {
    await a.stop();
  }
}

function timelineLoad(): Record<string, number> {
  const scenes = Array.from({ length: 1000 }, (_, i) => ({
    id: `scene-${i}`,
    title: `Scene ${i}`,
    prompt: `A slow camera move over landscape number ${i}, golden hour, cinematic, 35mm film grain`,
    negativePrompt: 'blurry, text',
    seconds: 5,
    seed: i,
  }));
  const text = JSON.stringify(
    { version: 1, title: 'Big', defaults: { width: 1280, height: 704, fps: 24, numFrames: 121 }, scenes },
    null,
    2,
  );
  const opts = { timelineFile: '/tmp/big.timeline.json', fileExists: () => true };
  const time = (fn: () => unknown, n: number) => {
    for (let i = 0; i < 3; i++) fn();
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      fn();
      xs.push(performance.now() - t0);
    }
    return pct(xs, 50);
  };
  const ok = parseTimeline(text, opts);
  if (!ok.ok) throw new Error('the generated timeline should load');
  const ours = time(() => parseTimeline(text, opts), 15);
  const base = time(() => JSON.parse(text), 50);
  return {
    scenes: 1000,
    bytes: text.length,
    loadMs: +ours.toFixed(1),
    jsonParseMs: +base.toFixed(2),
    ratio: +(ours / base).toFixed(1),
  };
}

function bundles(): Record<string, number> {
  const kb = (f: string) => +(statSync(path.join(root, 'dist', f)).size / 1024).toFixed(1);
  return { extensionKb: kb('extension.js'), webviewKb: kb('webview.js'), vsixKb: kb('scene-to-video.vsix') };
}

async function main(): Promise<void> {
  const res = { progressPath: await progressLatency(), timeline1000: timelineLoad(), bundles: bundles() };
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

void main();
