/**
 * `scene-to-video keyframe <timeline> --shot ID [--end] [--variants N] [--seed S]`: N variants of a
 * clip's start (or end) keyframe drawn from its prompt, kept beside the timeline; `--pick FILE` sets
 * one as the clip's keyframe (copied into keyframes/). Like render, it starts its own adapter (the
 * preview backend unless --backend says otherwise) when no provider answers and nothing says not to.
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { StvError, toStvError } from '../core/errors';
import { pickKeyframe } from '../core/keyframes/pick';
import { generateKeyframes, type KeyframeVariant } from '../core/keyframes/variants';
import { createProvider } from '../core/providers/factory';
import { KEYFRAMES_ELSEWHERE, type ProviderId } from '../core/providers/types';
import { DEFAULT_SETTINGS } from '../core/settings/schema';
import { EXIT, settingsFor, type CliContext } from './context';
import type { ProgressView } from './progressView';
import { startOwnAdapter, type RenderTarget } from './render';
import { loadTimelineArg } from './validate';

export const KEYFRAME_USAGE = `  scene-to-video keyframe <timeline.json> --shot ID [--end] [--variants N] [--seed S]
                        [--provider ID] [--endpoint URL] [--backend preview|fastvideo] [--json]
                        (N variants of the shot's start, or --end, keyframe from its prompt, at its render size)
  scene-to-video keyframe <timeline.json> --shot ID [--end] --pick FILE
                        (copy a variant into keyframes/ and set it as the shot's keyframe)
`;

function report(ctx: CliContext, e: unknown): number {
  const se = toStvError(e);
  ctx.err(`[${se.code}] ${se.message}${se.hint ? `\nhint: ${se.hint}` : ''}`);
  if (se.code === 'UNREACHABLE' || se.code === 'ADAPTER_CRASHED') return EXIT.unreachable;
  if (se.code === 'CANCELLED') return EXIT.cancelled;
  return ['SCENE_NOT_FOUND', 'INVALID_REQUEST', 'TIMELINE_INVALID', 'KEYFRAME_MISSING'].includes(se.code)
    ? EXIT.badInput
    : EXIT.failed;
}

function counts(ctx: CliContext): { variants: number; seed?: number } | number {
  const variants = ctx.o.variants === undefined ? 4 : Number(ctx.o.variants);
  const seed = ctx.o.seed === undefined ? undefined : Number(ctx.o.seed);
  if (!Number.isInteger(variants) || (seed !== undefined && !Number.isInteger(seed))) {
    ctx.err(`--variants and --seed take whole numbers (got ${ctx.o.variants ?? ''} ${ctx.o.seed ?? ''}).`);
    return EXIT.badInput;
  }
  return { variants, ...(seed !== undefined ? { seed } : {}) };
}

export async function keyframeCommand(ctx: CliContext): Promise<number> {
  const { o, io, err } = ctx;
  const arg = await loadTimelineArg(ctx);
  if (typeof arg === 'number') return arg;
  if (!o.shot) {
    err(`Name the clip: --shot scene/shot (or a scene id for a scene without shots).\n\n${ctx.usage}`);
    return EXIT.badInput;
  }
  const which = o.end ? 'end' : 'start';
  const out = (line: string) => io.stdout.write(`${line}\n`);
  if (o.pick) {
    try {
      const r = await pickKeyframe(arg.timelineFile, o.shot, which, path.resolve(o.pick));
      out(
        o.json
          ? JSON.stringify({ type: 'picked', clip: o.shot, which, keyframe: r.rel })
          : `✔ ${o.shot} ${which} keyframe: ${r.rel}`,
      );
      return EXIT.ok;
    } catch (e) {
      return report(ctx, e);
    }
  }
  const n = counts(ctx);
  if (typeof n === 'number') return n;
  return generate(ctx, arg.timelineFile, arg.loaded.timeline, which, n);
}

async function generate(
  ctx: CliContext,
  timelineFile: string,
  timeline: Parameters<typeof generateKeyframes>[0]['timeline'],
  which: 'start' | 'end',
  n: { variants: number; seed?: number },
): Promise<number> {
  const { o, io, err, token } = ctx;
  const explicit = o.provider as ProviderId | undefined;
  const providerId: ProviderId = explicit ?? timeline.defaults.provider ?? DEFAULT_SETTINGS.videoProvider;
  const settings = settingsFor(providerId, o.endpoint);
  const view: ProgressView = { log: (l) => err(l), update: () => undefined, stop: () => undefined };
  const target: RenderTarget = {
    providerId,
    settings,
    provider: await createProvider(providerId, settings, { token, workspaceDir: path.dirname(timelineFile) }),
  };
  const abort = new AbortController();
  void io.interrupted.then(() => abort.abort());
  try {
    let health = await target.provider.health();
    if (health.state === 'down') {
      const started = await startOwnAdapter(ctx, target, health, view, timelineFile, explicit);
      if (typeof started === 'number') return started;
      health = started;
    }
    if (health.makesKeyframes === false)
      throw new StvError(
        'KEYFRAMES_UNSUPPORTED',
        `${target.providerId} at ${health.endpoint} cannot make keyframes: ${health.keyframesProblem ?? 'it says so'}`,
        KEYFRAMES_ELSEWHERE,
      );
    err(`${target.providerId} at ${health.endpoint}: ${health.summary}`);
    const onVariant = (v: KeyframeVariant) =>
      io.stdout.write(
        o.json
          ? `${JSON.stringify({ type: 'variant', ...v })}\n`
          : `✔ ${v.clip} ${v.which} keyframe, seed ${v.seed}, ${v.width}x${v.height}: ${v.imagePath}\n`,
      );
    const made = await generateKeyframes({
      timeline,
      timelineFile,
      clipKey: o.shot ?? '',
      which,
      variants: n.variants,
      ...(n.seed !== undefined ? { seed: n.seed } : {}),
      provider: target.provider,
      signal: abort.signal,
      onVariant,
      onProgress: (i, count, p) => {
        if (!o.json && p.stage === 'uploading') err(`variant ${i + 1} of ${count}…`);
      },
    });
    if (!o.json)
      err(
        `Pick one: scene-to-video keyframe ${path.basename(timelineFile)} --shot ${o.shot}${which === 'end' ? ' --end' : ''} --pick FILE`,
      );
    return made.length === n.variants ? EXIT.ok : EXIT.failed;
  } catch (e) {
    return report(ctx, e);
  } finally {
    await target.adapter?.stop();
    if (target.adapterOutputs) rmSync(target.adapterOutputs, { recursive: true, force: true });
  }
}
