/**
 * What the cut must know about each take (its streams, from ffmpeg, and its SHA-256 for the
 * assembly sidecar), remembered beside the take in a hidden `.stv-<take>.facts.json` together with
 * the file's size and modification time. A take is a finished render that is never rewritten, so
 * the next assembly reads those few bytes instead of starting ffmpeg and hashing the file again;
 * a take whose size or time changed (or that has no record yet) is probed and hashed as before.
 * The record is a cache, nothing more: a folder that cannot be written to just means no record,
 * and a record that does not parse is ignored. listRenders skips `.stv-` names.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { probeMany, type Ffmpeg, type MediaInfo } from '../ffmpeg/ffmpeg';

/** Bumped when MediaInfo or the way it is read changes, so older records are probed again. */
export const TAKE_FACTS_VERSION = 1;

const FactsSchema = z.object({
  version: z.literal(TAKE_FACTS_VERSION),
  size: z.number(),
  mtimeMs: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  info: z.object({
    durationSeconds: z.number(),
    audio: z.boolean(),
    video: z
      .object({
        codec: z.string(),
        pixFmt: z.string(),
        width: z.number(),
        height: z.number(),
        fps: z.number(),
        profile: z.string().optional(),
      })
      .optional(),
  }),
});

export function factsFile(take: string): string {
  return path.join(path.dirname(take), `.stv-${path.basename(take)}.facts.json`);
}

async function remembered(take: string): Promise<{ info: MediaInfo; sha256: string } | undefined> {
  try {
    const [s, raw] = await Promise.all([stat(take), readFile(factsFile(take), 'utf8')]);
    const f = FactsSchema.safeParse(JSON.parse(raw));
    if (!f.success || f.data.size !== s.size || f.data.mtimeMs !== s.mtimeMs) return undefined;
    const { video, ...rest } = f.data.info;
    const info: MediaInfo = { ...rest, ...(video ? { video: pruneVideo(video) } : {}) };
    return { info, sha256: f.data.sha256 };
  } catch {
    return undefined;
  }
}

/** The parsed record without `profile: undefined` (exactOptionalPropertyTypes). */
function pruneVideo(v: z.infer<typeof FactsSchema>['info']['video'] & object): NonNullable<MediaInfo['video']> {
  const { profile, ...rest } = v;
  return { ...rest, ...(profile !== undefined ? { profile } : {}) };
}

/** Writes the record beside the take (temp file + rename); silently skipped where that is not possible. */
async function remember(take: string, info: MediaInfo, sha256: string, before: { size: number; mtimeMs: number }) {
  const tmp = path.join(path.dirname(take), `.stv-${randomUUID()}.facts.part`);
  try {
    const after = await stat(take);
    // Changed while it was probed: its facts would be of neither version.
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) return;
    const record = { version: TAKE_FACTS_VERSION, size: after.size, mtimeMs: after.mtimeMs, sha256, info };
    await writeFile(tmp, JSON.stringify(record), { flag: 'wx' });
    await rename(tmp, factsFile(take));
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * Each take's streams and hash, in order: remembered ones at once; the rest probed with one ffmpeg
 * while `hash` reads them alongside, then remembered. Hashes are promises (only the sidecar and the
 * exports wait for them, so ffmpeg never does).
 */
export async function describeTakes(
  ff: Ffmpeg,
  takes: string[],
  hash: (file: string) => Promise<string>,
): Promise<{ infos: MediaInfo[]; hashes: Promise<string>[] }> {
  const known = await Promise.all(takes.map((t) => remembered(t)));
  const unknown = takes.filter((_, i) => !known[i]);
  const stats = await Promise.all(unknown.map((t) => stat(t).catch(() => undefined)));
  const fresh = unknown.map((t) => hash(t));
  // Nothing may reject unobserved while an error (a take ffmpeg cannot read) ends the plan early.
  for (const h of fresh) h.catch(() => undefined);
  const probed = await probeMany(ff, unknown);
  unknown.forEach((t, k) => {
    const s = stats[k];
    if (s)
      void (fresh[k] as Promise<string>).then(
        (sha) => remember(t, probed[k] as MediaInfo, sha, s),
        () => undefined,
      );
  });
  let k = 0;
  const infos: MediaInfo[] = [];
  const hashes: Promise<string>[] = [];
  for (const f of known) {
    if (f) {
      infos.push(f.info);
      hashes.push(Promise.resolve(f.sha256));
    } else {
      infos.push(probed[k] as MediaInfo);
      hashes.push(fresh[k] as Promise<string>);
      k++;
    }
  }
  return { infos, hashes };
}
