#!/usr/bin/env node
// `npm run bench`: every benchmark in one run, printed as one table. Each figure is measured
// against a baseline taken in the same run (ratios), never against a hard-coded number.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const py = path.join(root, 'python/.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const json = (cmd, args) =>
  JSON.parse(
    execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      .trim()
      .split('\n')
      .pop(),
  );

console.error('adapter overhead (1280x704, 121 frames)…');
const big = json(py, ['bench/adapter_overhead.py', '--runs', '16', '--size', '1280x704', '--frames', '121', '--json']);
console.error('adapter overhead (256x256, 9 frames)…');
const small = json(py, ['bench/adapter_overhead.py', '--runs', '20', '--size', '256x256', '--frames', '9', '--json']);
console.error("the adapter's own cost per request (a backend that only copies an MP4)…");
const fixed = json(py, ['bench/adapter_fixed_cost.py', '--runs', '100', '--json']);
const [noKey, withKey] = Object.entries(fixed.scenarios);
console.error('model loaded once, preview vs ffmpeg, load…');
const adapter = json(py, ['bench/model_and_preview.py', '--jobs', '6']);
console.error('Ray front door vs the single adapter; two workers vs one…');
const farm = json(py, ['bench/cluster_bench.py', '--runs', '20', '--jobs', '8', '--sleep', '1.0', '--json']);
console.error('extension: progress path, timeline load, bundles…');
const ext = json(process.execPath, ['out/bench/extension_bench.js']);
console.error('the cut: 20 five-second takes, cuts vs concat copy, crossfades vs a hand-written graph…');
const cut = json(process.execPath, ['out/bench/assembly_bench.js']);
console.error("several ComfyUI servers: 8 jobs on two vs one, the pool's cost per job…");
const comfy = json(process.execPath, ['out/bench/comfyui_servers_bench.js']);
console.error('activation in Node, and what the first health check loads…');
const act = json(process.execPath, ['bench/activation_bench.cjs', '--runs', '9']);
console.error('extension in a real VS Code: activation, scene panel first paint…');
// The packaged .vsix in code-server (scripts/install-test-tools.sh installs it outside the repo).
const vscodeRun = execFileSync(
  'bash',
  [
    '-c',
    'eval "$(bash scripts/install-test-tools.sh)" && PATH="$STV_NODE24_DIR:$PATH" STV_VSIX=dist/scene-to-video.vsix STV_CODE_SERVER="$STV_CODE_SERVER" STV_CHROMIUM="$STV_CHROMIUM" node test/vscode/harness.mjs bench',
  ],
  { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
const vsc = JSON.parse(/^BENCH_JSON (.*)$/m.exec(vscodeRun)?.[1] ?? 'null');
if (!vsc) throw new Error(`the VS Code benchmark printed no result:\n${vscodeRun.slice(-2000)}`);

const rows = [
  [
    'Adapter overhead, 1280x704 keyframe, 121 frames',
    `${big.fullPathMedianMs} ms vs ${big.directMedianMs} ms in-process`,
    `×${big.ratio} (${big.overheadMs >= 0 ? '+' : ''}${big.overheadMs} ms, paired runs; IQR ${big.spreadMs} ms)`,
    '≤ 1.02',
  ],
  [
    'Adapter overhead, 256x256 keyframe, 9 frames',
    `${small.fullPathMedianMs} ms vs ${small.directMedianMs} ms`,
    `+${small.overheadMs} ms per request (IQR ${small.spreadMs} ms)`,
    'fixed, small',
  ],
  [
    "The adapter's own cost per POST /generate (backend copies an MP4)",
    `no keyframe ${noKey[1].medianMs} ms (p95 ${noKey[1].p95Ms})`,
    `${withKey[0].replace('1280x704 PNG keyframe', 'with a 1280x704 PNG')}: ${withKey[1].medianMs} ms`,
    'fixed, small',
  ],
  [
    'Own cost, first vs second half of those requests',
    `${noKey[1].firstHalfMedianMs} ms → ${noKey[1].secondHalfMedianMs} ms (${noKey[1].runs} runs)`,
    `with keyframe ${withKey[1].firstHalfMedianMs} → ${withKey[1].secondHalfMedianMs} ms`,
    'flat',
  ],
  [
    'Model loads over N jobs (fastvideo backend, fake library)',
    `${adapter.modelLoadedOnce.loads} load(s) / ${adapter.modelLoadedOnce.jobs} jobs`,
    `first ${adapter.modelLoadedOnce.firstJobMs} ms, warm ${adapter.modelLoadedOnce.warmMedianMs} ms`,
    '1 load',
  ],
  [
    'Preview backend, 121 frames 1280x704',
    `${adapter.previewVsFfmpeg.previewFps} fps vs ffmpeg ${adapter.previewVsFfmpeg.ffmpegFps} fps`,
    `×${adapter.previewVsFfmpeg.ratio}`,
    '≤ 1.25',
  ],
  [
    'Ray front door vs single adapter, per job (256x256, 9 frames, 1 worker)',
    `${farm.overhead.frontDoorMedianMs} ms vs ${farm.overhead.singleMedianMs} ms`,
    `${farm.overhead.overheadMs >= 0 ? '+' : ''}${farm.overhead.overheadMs} ms per job (paired; IQR ${farm.overhead.spreadMs} ms)`,
    '< 50 ms',
  ],
  [
    "Ray front door's own cost per job (backends that hand over an MP4)",
    `${farm.ownCost.frontDoorMedianMs} ms vs ${farm.ownCost.singleMedianMs} ms`,
    `+${farm.ownCost.overheadMs} ms per job (IQR ${farm.ownCost.spreadMs} ms)`,
    'fixed, small',
  ],
  [
    `Ray front door, ${farm.throughput.jobs} jobs sleeping ${farm.throughput.sleepS} s: 2 workers vs 1`,
    `${farm.throughput.twoWorkersS} s vs ${farm.throughput.oneWorkerS} s`,
    `×${farm.throughput.speedup}`,
    '≥ 1.9',
  ],
  [
    'Progress path (backend step → client)',
    `median ${ext.progressPath.medianMs} ms, p95 ${ext.progressPath.p95Ms} ms`,
    `${ext.progressPath.events} events`,
    '—',
  ],
  [
    '1,000-scene timeline: load + validate vs JSON.parse',
    `${ext.timeline1000.loadMs} ms vs ${ext.timeline1000.jsonParseMs} ms`,
    `×${ext.timeline1000.ratio}`,
    '—',
  ],
  [
    'Queue under load',
    `${adapter.load.jobs} jobs, ${adapter.load.succeeded} done, ${adapter.load.lost} lost, ${adapter.load.busyRefusals} BUSY`,
    `RSS +${adapter.load.rssGrowthMb} MB`,
    '0 lost',
  ],
  [
    'Activation in VS Code (its own figure) vs the built-in Git extension',
    `${vsc.activationMs} ms vs ${vsc.gitActivationMs} ms (median of per-window ratios ×${vsc.activationRatioToGitPerWindow})`,
    `×${vsc.activationRatioToGit}`,
    '≤ ×1',
  ],
  [
    "Activation in Node (require + activate()) vs requiring Git's bundle; then the first health check",
    `${act.activationMs} ms vs ${act.gitRequireMs} ms; first check ${act.firstCheckMs} ms, of which loading on first use ${act.loadedOnFirstCheckMs} ms`,
    `×${act.activationRatioToGitRequire}`,
    '—',
  ],
  [
    `Timeline editor first paint, ${vsc.clips} clips vs 3 scenes`,
    `${Math.round(vsc.panelBigMs)} ms vs ${Math.round(vsc.panel3Ms)} ms`,
    `×${vsc.panelRatioBigTo3}`,
    '—',
  ],
  [
    `Typing in a prompt: keystroke → edit in the document, ${vsc.clips} clips vs 3 scenes`,
    `${vsc.keystrokeBigMs} ms vs ${vsc.keystroke3Ms} ms (edit posted → in the document ${vsc.editBigMs} vs ${vsc.edit3Ms} ms; → editor redrawn ${vsc.stateBigMs} vs ${vsc.state3Ms} ms)`,
    `×${Math.round((vsc.keystrokeBigMs / vsc.keystroke3Ms) * 100) / 100}`,
    'no list redraw',
  ],
  [
    'Assemble 20 five-second takes with cuts vs ffmpeg -f concat -c copy',
    `${cut.cuts.oursMs} ms vs ${cut.cuts.plainConcatMs} ms`,
    `×${cut.cuts.ratio}`,
    '≤ 1.1',
  ],
  [
    'Assemble them with 0.5 s crossfades vs a hand-written xfade graph',
    `${cut.crossfades.oursMs} ms vs ${cut.crossfades.handGraphMs} ms`,
    `×${cut.crossfades.ratio}`,
    '≤ 1.1',
  ],
  [
    'Several ComfyUI servers: 8 jobs on two (fake) servers vs one',
    `${comfy.throughput.twoServersMs} ms vs ${comfy.throughput.oneServerMs} ms`,
    `×${comfy.throughput.ratio} throughput; at most ${comfy.maxPromptsHeldByOneServer} prompt per server`,
    '≥ 1.9',
  ],
  [
    "The server pool's own cost per job (one server behind it vs its provider alone)",
    `${comfy.poolCostPerJob.pooledMs} ms vs ${comfy.poolCostPerJob.directMs} ms`,
    `${comfy.poolCostPerJob.overheadMs >= 0 ? '+' : ''}${comfy.poolCostPerJob.overheadMs} ms (paired, IQR ${comfy.poolCostPerJob.iqrMs} ms)`,
    'fixed, small',
  ],
  [
    'Bundles (production)',
    `extension ${ext.bundles.extensionKb} KB, webview ${ext.bundles.webviewKb} KB`,
    `.vsix ${ext.bundles.vsixKb} KB`,
    '—',
  ],
];
const w = [0, 1, 2, 3].map((i) =>
  Math.max(...rows.map((r) => r[i].length), ['What', 'Measured', 'Result', 'Goal'][i].length),
);
const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
console.log(line(['What', 'Measured', 'Result', 'Goal']));
console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
