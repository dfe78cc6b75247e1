/** `scene-to-video health [--provider ID] [--endpoint URL] [--json]`: is the provider there, and which ffmpeg. */
import { StvError, toStvError } from '../core/errors';
import { createProvider } from '../core/providers/factory';
import type { ProviderId } from '../core/providers/types';
import { DEFAULT_SETTINGS } from '../core/settings/schema';
import { EXIT, settingsFor, type CliContext } from './context';
import { ffmpegFinder } from './cut';

export async function healthCommand({ io, o, token, repoRoot }: CliContext): Promise<number> {
  const id = (o.provider as ProviderId | undefined) ?? DEFAULT_SETTINGS.videoProvider;
  const provider = await createProvider(id, settingsFor(id, o.endpoint), { token });
  const h = await provider.health();
  io.stdout.write(o.json ? `${JSON.stringify(h)}\n` : `${id} at ${h.endpoint}: ${h.state} — ${h.summary}\n`);
  // Several ComfyUI servers: a line each, so the one that is down is named.
  if (!o.json) for (const s of h.servers ?? []) io.stdout.write(`  ${s.endpoint}: ${s.state} — ${s.summary}\n`);
  if (!o.json) {
    // Which ffmpeg the cut (assemble, continuity) would use: imageio-ffmpeg's or a configured one.
    const ff = await ffmpegFinder(repoRoot(), io.env)().catch((e: unknown) => toStvError(e));
    io.stdout.write(
      ff instanceof StvError
        ? `ffmpeg: not found — ${ff.hint ?? ff.message}\n`
        : `ffmpeg ${ff.version} from ${ff.source}: ${ff.path}\n`,
    );
  }
  return h.state === 'ok' || h.state === 'degraded' ? EXIT.ok : EXIT.unreachable;
}
