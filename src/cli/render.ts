/**
 * `scene-to-video render <timeline.json> [--scene ID ...] [--provider ID] [--endpoint URL] ...`: the
 * chosen scenes through a provider, starting our own adapter when none answers and nothing says not to.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StvError, toStvError } from '../core/errors';
import { findPython, pythonCandidates } from '../core/launch/adapterLaunch';
import { startAdapterProcess, type RunningAdapterProcess } from '../core/launch/adapterProcess';
import { createProvider, outputDirFor } from '../core/providers/factory';
import type { ProviderHealth, ProviderId, VideoProvider } from '../core/providers/types';
import { RenderQueue, type RenderJobSnapshot } from '../core/render/queue';
import { DEFAULT_SETTINGS, type Settings } from '../core/settings/schema';
import type { ResolvedScene } from '../core/timeline/resolve';
import { EXIT, settingsFor, type CliContext, type ComfyWorkflow } from './context';
import { barsView, jsonLinesView, type ProgressView } from './progressView';
import { loadTimelineArg } from './validate';

/** The provider a render talks to; an adapter we started replaces the first one. */
export interface RenderTarget {
  providerId: ProviderId;
  settings: Settings;
  provider: VideoProvider;
  adapter?: RunningAdapterProcess;
  adapterOutputs?: string;
}

export async function renderCommand(ctx: CliContext): Promise<number> {
  const { o, io, err, token } = ctx;
  const arg = await loadTimelineArg(ctx);
  if (typeof arg === 'number') return arg;
  const { file, timelineFile, loaded } = arg;
  const scenes = pickScenes(ctx, file, arg.scenes);
  if (typeof scenes === 'number') return scenes;

  const view: ProgressView = o.json || !io.stdout.isTTY ? jsonLinesView(io.stdout) : barsView();
  const explicitProvider = o.provider as ProviderId | undefined;
  const providerId: ProviderId =
    explicitProvider ?? loaded.timeline.defaults.provider ?? DEFAULT_SETTINGS.videoProvider;
  const comfy = readWorkflow(ctx);
  if (typeof comfy === 'number') return comfy;
  const settings = settingsFor(providerId, o.endpoint, comfy);
  let provider: VideoProvider;
  try {
    provider = await createProvider(providerId, settings, { token, workspaceDir: path.dirname(timelineFile) });
  } catch (e) {
    const se = toStvError(e);
    err(`[${se.code}] ${se.message}${se.hint ? `\nhint: ${se.hint}` : ''}`);
    return EXIT.badInput;
  }
  const target: RenderTarget = { providerId, settings, provider };
  const outputRoot = path.resolve(
    o.output ?? path.join(path.dirname(timelineFile), outputDirFor(providerId, settings)),
  );

  try {
    let health = await target.provider.health();
    if (health.state === 'down') {
      const started = await startOwnAdapter(ctx, target, health, view, timelineFile, explicitProvider);
      if (typeof started === 'number') return started;
      health = started;
    }
    view.log(`${target.providerId} at ${health.endpoint}: ${health.summary}`);
    if (health.followsKeyframe === false && scenes.some((s) => s.keyframePath))
      view.log(
        `note: ${health.model} ignores keyframes; for keyframe-faithful clips use Wan-AI/Wan2.2-TI2V-5B-Diffusers.`,
      );
    return await renderScenes(ctx, target, scenes, timelineFile, outputRoot, view);
  } catch (e) {
    view.stop();
    const se = toStvError(e);
    err(`[${se.code}] ${se.message}${se.hint ? `\nhint: ${se.hint}` : ''}`);
    return se instanceof StvError && (se.code === 'UNREACHABLE' || se.code === 'ADAPTER_CRASHED')
      ? EXIT.unreachable
      : EXIT.failed;
  } finally {
    await target.adapter?.stop();
    if (target.adapterOutputs) rmSync(target.adapterOutputs, { recursive: true, force: true });
  }
}

/** --scene: a scene id picks all of its shots; "scene/shot" picks one. */
function pickScenes({ o, err }: CliContext, file: string, scenes: ResolvedScene[]): ResolvedScene[] | number {
  if (!o.scene?.length) return scenes;
  const unknown = o.scene.filter((id) => !scenes.some((s) => s.id === id || s.key === id));
  if (unknown.length) {
    err(
      `No scene with id ${unknown.map((u) => `"${u}"`).join(', ')} in ${file}. Scenes: ${[...new Set(scenes.map((s) => s.key ?? s.id))].join(', ')}.`,
    );
    return EXIT.badInput;
  }
  return scenes.filter((s) => o.scene?.includes(s.id) || o.scene?.includes(s.key ?? s.id));
}

/** --workflow and --mapping: the user's own ComfyUI workflow, or undefined without --workflow. */
function readWorkflow({ o, err }: CliContext): ComfyWorkflow | undefined | number {
  if (!o.workflow) return undefined;
  try {
    return {
      workflowPath: path.resolve(o.workflow),
      mapping: o.mapping ? (JSON.parse(readFileSync(o.mapping, 'utf8')) as Record<string, string>) : {},
    };
  } catch (e) {
    err(`Cannot read the mapping ${o.mapping}: ${(e as Error).message}`);
    return EXIT.badInput;
  }
}

/**
 * The provider is down: start our own adapter when the user asked for it, or when nothing more
 * specific was asked (no provider at all, or fastvideo-local at its default address). Switches
 * `target` to it and returns its health, or the exit code when it cannot.
 */
export async function startOwnAdapter(
  { o, err, token, repoRoot }: CliContext,
  target: RenderTarget,
  health: ProviderHealth,
  view: ProgressView,
  timelineFile: string,
  explicitProvider: ProviderId | undefined,
): Promise<ProviderHealth | number> {
  const { providerId } = target;
  const canStart =
    !o['no-start-adapter'] &&
    (o['start-adapter'] || (!o.endpoint && (providerId === 'fastvideo-local' || !explicitProvider)));
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
  view.log(
    `${providerId} is not reachable at ${health.endpoint}; starting the FastVideo adapter with the ${backend} backend${backend === 'preview' ? ' (not AI: it animates each keyframe)' : ''}.`,
  );
  const adapterOutputs = (target.adapterOutputs = mkdtempSync(path.join(os.tmpdir(), 'stv-adapter-')));
  const adapter = (target.adapter = await startAdapterProcess({
    pythonPath: python,
    backend,
    outputRoot: adapterOutputs,
    artifactsDir: path.join(adapterOutputs, 'artifacts'),
    token,
    cwd: path.dirname(timelineFile),
    readyTimeoutMs: 120_000,
  }));
  target.providerId = 'fastvideo-local';
  target.settings = settingsFor(target.providerId, adapter.url);
  target.provider = await createProvider(target.providerId, target.settings, { token });
  return target.provider.health();
}

/** Queues every scene, cancels them all on Ctrl-C, reports each result; returns the exit code. */
async function renderScenes(
  { o, io, err }: CliContext,
  target: RenderTarget,
  scenes: ResolvedScene[],
  timelineFile: string,
  outputRoot: string,
  view: ProgressView,
): Promise<number> {
  const { provider, providerId } = target;
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
    if (r.state === 'succeeded' && r.artifact)
      io.stdout.write(
        o.json || !io.stdout.isTTY
          ? ''
          : `✔ ${r.shotId ? `${r.sceneId}/${r.shotId}` : r.sceneId}: ${r.artifact.videoPath}\n`,
      );
    else if (r.state === 'failed')
      err(
        `✖ ${r.shotId ? `${r.sceneId}/${r.shotId}` : r.sceneId}: [${r.error?.code}] ${r.error?.message}${r.error?.hint ? `\n  hint: ${r.error.hint}` : ''}`,
      );
  }
  const ok = results.filter((r) => r.state === 'succeeded');
  io.stdout.write(
    o.json || !io.stdout.isTTY
      ? `${JSON.stringify({ type: 'summary', outputRoot, succeeded: ok.length, failed: results.filter((r) => r.state === 'failed').length, cancelled: results.filter((r) => r.state === 'cancelled').length, videos: ok.map((r) => r.artifact?.videoPath) })}\n`
      : `${ok.length} of ${results.length} scene(s) rendered into ${outputRoot}\n`,
  );
  if (cancelled) return EXIT.cancelled;
  if (ok.length === results.length) return EXIT.ok;
  // Every failure was the provider going away (not a bad scene): say "unreachable", like at start.
  const failed = results.filter((r) => r.state === 'failed');
  return failed.length > 0 &&
    failed.every((r) => r.error?.code === 'UNREACHABLE' || r.error?.code === 'ADAPTER_CRASHED')
    ? EXIT.unreachable
    : EXIT.failed;
}
