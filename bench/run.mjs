#!/usr/bin/env node
// `npm run bench`: every benchmark in one run, printed as one table. Each figure is measured
// against a baseline taken in the same run (ratios), never against a hard-coded number.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const py = path.join(root, 'python/.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const json = (cmd, args) => JSON.parse(execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop());

console.error('adapter overhead (1280x704, 121 frames)…');
const big = json(py, ['bench/adapter_overhead.py', '--runs', '8', '--size', '1280x704', '--frames', '121', '--json']);
console.error('adapter overhead (256x256, 9 frames)…');
const small = json(py, ['bench/adapter_overhead.py', '--runs', '20', '--size', '256x256', '--frames', '9', '--json']);
console.error('model loaded once, preview vs ffmpeg, load…');
const adapter = json(py, ['bench/model_and_preview.py', '--jobs', '6']);
console.error('extension: progress path, timeline load, bundles…');
const ext = json(process.execPath, ['out/bench/extension_bench.js']);

const rows = [
  ['Adapter overhead, 1280x704 keyframe, 121 frames', `${big.fullPathMedianMs} ms vs ${big.directMedianMs} ms in-process`, `×${big.ratio} (${big.overheadMs >= 0 ? '+' : ''}${big.overheadMs} ms)`, '≤ 1.02'],
  ['Adapter overhead, 256x256 keyframe, 9 frames', `${small.fullPathMedianMs} ms vs ${small.directMedianMs} ms`, `+${small.overheadMs} ms per request`, 'fixed, small'],
  ['Overhead, first vs second half of the runs', `${small.firstHalfOverheadMs} ms → ${small.secondHalfOverheadMs} ms`, 'does not grow', 'flat'],
  ['Model loads over N jobs (fastvideo backend, fake library)', `${adapter.modelLoadedOnce.loads} load(s) / ${adapter.modelLoadedOnce.jobs} jobs`, `first ${adapter.modelLoadedOnce.firstJobMs} ms, warm ${adapter.modelLoadedOnce.warmMedianMs} ms`, '1 load'],
  ['Preview backend, 121 frames 1280x704', `${adapter.previewVsFfmpeg.previewFps} fps vs ffmpeg ${adapter.previewVsFfmpeg.ffmpegFps} fps`, `×${adapter.previewVsFfmpeg.ratio}`, '≤ 1.25'],
  ['Progress path (backend step → client)', `median ${ext.progressPath.medianMs} ms, p95 ${ext.progressPath.p95Ms} ms`, `${ext.progressPath.events} events`, '—'],
  ['1,000-scene timeline: load + validate vs JSON.parse', `${ext.timeline1000.loadMs} ms vs ${ext.timeline1000.jsonParseMs} ms`, `×${ext.timeline1000.ratio}`, '—'],
  ['Queue under load', `${adapter.load.jobs} jobs, ${adapter.load.succeeded} done, ${adapter.load.lost} lost, ${adapter.load.busyRefusals} BUSY`, `RSS +${adapter.load.rssGrowthMb} MB`, '0 lost'],
  ['Bundles (production)', `extension ${ext.bundles.extensionKb} KB, webview ${ext.bundles.webviewKb} KB`, `.vsix ${ext.bundles.vsixKb} KB`, '—'],
];
const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['What', 'Measured', 'Result', 'Goal'][i].length));
const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
console.log(line(['What', 'Measured', 'Result', 'Goal']));
console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
