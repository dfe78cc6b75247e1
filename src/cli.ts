#!/usr/bin/env node
/**
 * `scene-to-video`: the same core as the extension, headless.
 *   render <timeline> [--scene id ...] [--provider comfyui-local|fastvideo-local] [--endpoint URL]
 *          [--backend preview|fastvideo] [--output DIR] [--json] [--start-adapter | --no-start-adapter]
 *   validate <timeline>
 *   upgrade <timeline>                      (version 1 -> 2, keeping the file's formatting)
 *   import <gemDirect1 file> [--out DIR]    (project export, story or scene file)
 *   health [--provider ...] [--endpoint URL]
 * Exit codes: 0 ok, 1 a render failed, 2 bad input, 3 provider unreachable, 130 cancelled.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { StvError, toStvError } from './core/errors';
import { findPython, pythonCandidates } from './core/launch/adapterLaunch';
import { startAdapterProcess, type RunningAdapterProcess } from './core/launch/adapterProcess';
import { createProvider, outputDirFor } from './core/providers/factory';
import { PROVIDER_IDS, type ProviderId, type VideoProvider } from './core/providers/types';
import { RenderQueue, type RenderJobSnapshot } from './core/render/queue';
import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from './core/settings/schema';
import { loadTimelineFile, type TimelineProblem } from './core/timeline/load';
import { resolveScenes } from './core/timeline/resolve';
import { barsView, jsonLinesView, type ProgressView } from './cli/progressView';
import { upgradeCommand } from './cli/upgrade';
import { CUT_COMMANDS, CUT_USAGE, cutMain, ffmpegFinder } from './cli/cut';
import { gemDirectHint, importCommand } from './cli/import';

export const EXIT = { ok: 0, failed: 1, badInput: 2, unreachable: 3, cancelled: 130 } as const;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Resolves when the user presses Ctrl-C. */
  interrupted: Promise<void>;
}

const USAGE = `Usage:
  scene-to-video render <timeline.json> [--scene ID ...] [--provider comfyui-local|fastvideo-local]
                        [--endpoint URL] [--backend preview|fastvideo] [--output DIR] [--json]
                        [--start-adapter | --no-start-adapter]
                        [--workflow api-workflow.json --mapping mapping.json]   (ComfyUI: your own workflow)
  scene-to-video validate <timeline.json>
  scene-to-video upgrade <timeline.json>           (rewrite a version 1 timeline as version 2)
  scene-to-video import <gemDirect1.json> [--out DIR]
                        (a gemDirect1 project export, story or scene file -> <name>.timeline.json + keyframes/)
  --scene takes a scene id (all its shots) or scene/shot.
${CUT_USAGE}  -h, --help            print this and exit
  scene-to-video health [--provider ID] [--endpoint URL]
`;

function formatProblem(file: string, p: TimelineProblem): string {
  return `${file}:${p.line}:${p.column}: ${p.severity}: ${p.message}`;
}

function repoRoot(): string {
  // dist/cli.js (bundled) or out/src/cli.js (compiled tests): the repository is above either.
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'python', 'pyproject.toml'))) return dir;
    dir = path.dirname(dir);
  }
  return path.dirname(__dirname);
}

function settingsFor(provider: ProviderId, endpoint: string | undefined, comfy?: { workflowPath: string; mapping: Record<string, string> }): Settings {
  const s = structuredClone(DEFAULT_SETTINGS);
  if (comfy) Object.assign(s.comfyUI, comfy);
  if (endpoint && provider === 'fastvideo-local') s.fastVideo.endpointUrl = endpoint;
  if (endpoint && provider === 'comfyui-local') s.comfyUI.url = endpoint;
  return SettingsSchema.parse(s);
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const err = (line: string) => io.stderr.write(`${line}\n`);
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (command && CUT_COMMANDS.has(command) && !rest.includes('--help') && !rest.includes('-h'))
    return cutMain(command, rest, io, { repoRoot: repoRoot(), run: (a) => main(a, io) });
  let args;
  try {
    args = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        scene: { type: 'string', multiple: true },
        provider: { type: 'string' },
        endpoint: { type: 'string' },
        backend: { type: 'string' },
        output: { type: 'string' },
        out: { type: 'string' },
        workflow: { type: 'string' },
        mapping: { type: 'string' },
        json: { type: 'boolean', default: false },
        'start-adapter': { type: 'boolean', default: false },
        'no-start-adapter': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.badInput;
  }
  const o = args.values;
  if (o.help || !command) {
    io.stdout.write(USAGE);
    return command ? EXIT.ok : EXIT.badInput;
  }
  if (o.provider && !PROVIDER_IDS.includes(o.provider as ProviderId)) {
    err(`Unknown provider "${o.provider}": use ${PROVIDER_IDS.join(' or ')}.`);
    return EXIT.badInput;
  }
  if (o.backend && o.backend !== 'preview' && o.backend !== 'fastvideo') {
    err(`Unknown backend "${o.backend}": use preview or fastvideo.`);
    return EXIT.badInput;
  }
  const token = io.env.STV_ADAPTER_TOKEN || undefined;

  if (command === 'health') {
    const id = (o.provider as ProviderId | undefined) ?? DEFAULT_SETTINGS.videoProvider;
    const provider = await createProvider(id, settingsFor(id, o.endpoint), { token });
    const h = await provider.health();
    io.stdout.write(o.json ? `${JSON.stringify(h)}\n` : `${id} at ${h.endpoint}: ${h.state} — ${h.summary}\n`);
    if (!o.json) {
      // Which ffmpeg the cut (assemble, continuity) would use: imageio-ffmpeg's or a configured one.
      const ff = await ffmpegFinder(repoRoot(), io.env)().catch((e: unknown) => toStvError(e));
      io.stdout.write(ff instanceof StvError ? `ffmpeg: not found — ${ff.hint ?? ff.message}\n` : `ffmpeg ${ff.version} from ${ff.source}: ${ff.path}\n`);
    }
    return h.state === 'ok' || h.state === 'degraded' ? EXIT.ok : EXIT.unreachable;
  }

  if (command === 'upgrade') {
    const target = args.positionals[0];
    if (!target) {
      err(`Name a timeline file to upgrade.\n\n${USAGE}`);
      return EXIT.badInput;
    }
    return upgradeCommand(target, (l) => io.stdout.write(`${l}\n`), err);
  }

  if (command === 'import') {
    const source = args.positionals[0];
    if (!source) {
      err(`Name a gemDirect1 project export, story or scene file to import.\n\n${USAGE}`);
      return EXIT.badInput;
    }
    return importCommand(source, o.out ?? o.output, (l) => io.stdout.write(`${l}\n`), err);
  }

  if (command !== 'render' && command !== 'validate') {
    err(`Unknown command "${command}".\n\n${USAGE}`);
    return EXIT.badInput;
  }
  const file = args.positionals[0];
  if (!file) {
    err(`Name a timeline file.\n\n${USAGE}`);
    return EXIT.badInput;
  }
  const timelineFile = path.resolve(file);
  const loaded = await loadTimelineFile(timelineFile);
  if (!loaded.ok) {
    // A gemDirect1 file fails the schema in a dozen places; what helps is the import command.
    const hint = await gemDirectHint(timelineFile);
    if (hint) {
      err(hint);
      return EXIT.badInput;
    }
    for (const p of loaded.problems) err(formatProblem(file, p));
    err(`${loaded.problems.length} problem(s) in ${file}: fix them and run again.`);
    return EXIT.badInput;
  }
  for (const w of loaded.warnings) err(formatProblem(file, w));
  let scenes = resolveScenes(loaded.timeline, timelineFile);
  if (command === 'validate') {
    io.stdout.write(`${file}: ${scenes.length} clip(s), no problems.\n${scenes.map((s) => `  ${s.key ?? s.id}  ${s.width}x${s.height} ${s.numFrames} frames @ ${s.fps} fps  seed ${s.seed}  "${s.title}"`).join('\n')}\n`);
    return EXIT.ok;
  }
  if (o.scene?.length) {
    // A scene id picks all of its shots; "scene/shot" picks one.
    const unknown = o.scene.filter((id) => !scenes.some((s) => s.id === id || s.key === id));
    if (unknown.length) {
      err(`No scene with id ${unknown.map((u) => `"${u}"`).join(', ')} in ${file}. Scenes: ${[...new Set(scenes.map((s) => s.key ?? s.id))].join(', ')}.`);
      return EXIT.badInput;
    }
    scenes = scenes.filter((s) => o.scene?.includes(s.id) || o.scene?.includes(s.key ?? s.id));
  }

  const view: ProgressView = o.json || !io.stdout.isTTY ? jsonLinesView(io.stdout) : barsView();
  const explicitProvider = o.provider as ProviderId | undefined;
  let providerId: ProviderId = explicitProvider ?? loaded.timeline.defaults.provider ?? DEFAULT_SETTINGS.videoProvider;
  let comfy: { workflowPath: string; mapping: Record<string, string> } | undefined;
  if (o.workflow) {
    try {
      comfy = { workflowPath: path.resolve(o.workflow), mapping: o.mapping ? (JSON.parse(readFileSync(o.mapping, 'utf8')) as Record<string, string>) : {} };
    } catch (e) {
      err(`Cannot read the mapping ${o.mapping}: ${(e as Error).message}`);
      return EXIT.badInput;
    }
  }
  let settings = settingsFor(providerId, o.endpoint, comfy);
  let provider: VideoProvider;
  try {
    provider = await createProvider(providerId, settings, { token, workspaceDir: path.dirname(timelineFile) });
  } catch (e) {
    const se = toStvError(e);
    err(`[${se.code}] ${se.message}${se.hint ? `\nhint: ${se.hint}` : ''}`);
    return EXIT.badInput;
  }
  let adapter: RunningAdapterProcess | undefined;
  let adapterOutputs: string | undefined;
  const outputRoot = path.resolve(o.output ?? path.join(path.dirname(timelineFile), outputDirFor(providerId, settings)));

  try {
    let health = await provider.health();
    if (health.state === 'down') {
      // Start our own adapter when the user asked for it, or when nothing more specific was asked:
      // no provider at all, or fastvideo-local at its default address.
      const canStart = !o['no-start-adapter'] && (o['start-adapter'] || (!o.endpoint && (providerId === 'fastvideo-local' || !explicitProvider)));
      if (!canStart) {
        err(`${providerId} is not reachable at ${health.endpoint}: ${health.summary}`);
        if (health.error?.hint) err(`hint: ${health.error.hint}`);
        return EXIT.unreachable;
      }
      const python = findPython(pythonCandidates({ platform: process.platform, workspaceDirs: [repoRoot()] }));
      if (!python) {
        err(`${providerId} is not reachable at ${health.endpoint}, and no adapter environment was found to start one.`);
        err('hint: run scripts/bootstrap.sh (or scripts/setup-fastvideo.sh) first.');
        return EXIT.unreachable;
      }
      const backend = (o.backend as 'preview' | 'fastvideo' | undefined) ?? 'preview';
      view.log(`${providerId} is not reachable at ${health.endpoint}; starting the FastVideo adapter with the ${backend} backend${backend === 'preview' ? ' (not AI: it animates each keyframe)' : ''}.`);
      adapterOutputs = mkdtempSync(path.join(os.tmpdir(), 'stv-adapter-'));
      adapter = await startAdapterProcess({ pythonPath: python, backend, outputRoot: adapterOutputs, artifactsDir: path.join(adapterOutputs, 'artifacts'), token, cwd: path.dirname(timelineFile), readyTimeoutMs: 120_000 });
      providerId = 'fastvideo-local';
      settings = settingsFor(providerId, adapter.url);
      provider = await createProvider(providerId, settings, { token });
      health = await provider.health();
    }
    view.log(`${providerId} at ${health.endpoint}: ${health.summary}`);
    if (health.followsKeyframe === false && scenes.some((s) => s.keyframePath))
      view.log(`note: ${health.model} ignores keyframes; for keyframe-faithful clips use Wan-AI/Wan2.2-TI2V-5B-Diffusers.`);

    const queue = new RenderQueue({ getProvider: () => Promise.resolve(provider), outputRootFor: () => outputRoot });
    queue.onDidChange((job) => view.update(job));
    const jobs = scenes.map((s) => queue.enqueue({ timelineFile, scene: s, providerId }));
    let cancelled = false;
    void io.interrupted.then(() => {
      cancelled = true;
      view.log('Cancelling: stopping the render on the server…');
      queue.cancelAll();
    });
    const results: RenderJobSnapshot[] = await Promise.all(jobs.map((j) => queue.whenDone(j.jobId)));
    view.stop();
    for (const r of results) {
      if (r.state === 'succeeded' && r.artifact) io.stdout.write(o.json || !io.stdout.isTTY ? '' : `✔ ${r.shotId ? `${r.sceneId}/${r.shotId}` : r.sceneId}: ${r.artifact.videoPath}\n`);
      else if (r.state === 'failed') err(`✖ ${r.shotId ? `${r.sceneId}/${r.shotId}` : r.sceneId}: [${r.error?.code}] ${r.error?.message}${r.error?.hint ? `\n  hint: ${r.error.hint}` : ''}`);
    }
    const ok = results.filter((r) => r.state === 'succeeded');
    io.stdout.write(o.json || !io.stdout.isTTY ? `${JSON.stringify({ type: 'summary', outputRoot, succeeded: ok.length, failed: results.filter((r) => r.state === 'failed').length, cancelled: results.filter((r) => r.state === 'cancelled').length, videos: ok.map((r) => r.artifact?.videoPath) })}\n` : `${ok.length} of ${results.length} scene(s) rendered into ${outputRoot}\n`);
    if (cancelled) return EXIT.cancelled;
    if (ok.length === results.length) return EXIT.ok;
    // Every failure was the provider going away (not a bad scene): say "unreachable", like at start.
    const failed = results.filter((r) => r.state === 'failed');
    return failed.length > 0 && failed.every((r) => r.error?.code === 'UNREACHABLE' || r.error?.code === 'ADAPTER_CRASHED') ? EXIT.unreachable : EXIT.failed;
  } catch (e) {
    view.stop();
    const se = toStvError(e);
    err(`[${se.code}] ${se.message}${se.hint ? `\nhint: ${se.hint}` : ''}`);
    return se instanceof StvError && (se.code === 'UNREACHABLE' || se.code === 'ADAPTER_CRASHED') ? EXIT.unreachable : EXIT.failed;
  } finally {
    await adapter?.stop();
    if (adapterOutputs) rmSync(adapterOutputs, { recursive: true, force: true });
  }
}

if (require.main === module) {
  let onInt: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => (onInt = resolve));
  let count = 0;
  process.on('SIGINT', () => {
    if (++count > 1) process.exit(EXIT.cancelled); // a second Ctrl-C does not wait
    onInt();
  });
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, interrupted }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
