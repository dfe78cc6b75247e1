/** The renders of a timeline, newest first, read back from their sidecars. */
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { PROVIDER_IDS, WARNING_CODES } from '../providers/types';
import { SIDECAR_KIND, type RenderArtifact } from './artifacts';

const SidecarSchema = z.object({
  kind: z.literal(SIDECAR_KIND),
  videoPath: z.string(),
  sidecarPath: z.string(),
  sceneId: z.string(),
  shotId: z.string().optional(),
  providerId: z.enum(PROVIDER_IDS),
  seed: z.number(),
  createdAt: z.string(),
  width: z.number(),
  height: z.number(),
  numFrames: z.number(),
  fps: z.number(),
  model: z.string().optional(),
  backend: z.string().optional(),
  warnings: z.array(z.object({ code: z.enum(WARNING_CODES), message: z.string() })),
  timings: z.object({ totalMs: z.number() }).catchall(z.number().optional()),
  prompt: z.string(),
});

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Lists renders under `outputRoot` (one scene's with `sceneId`); skips temp files and corrupt sidecars. */
export async function listRenders(outputRoot: string, sceneId?: string): Promise<RenderArtifact[]> {
  // A scene id is one folder name: nothing that could reach outside the output folder.
  if (sceneId !== undefined && (sceneId === '' || sceneId === '.' || sceneId === '..' || /[\\/]/.test(sceneId)))
    return [];
  let scenes: string[];
  try {
    // Dot-folders are ours (.stv-tmp scratch space), never a scene.
    scenes = sceneId
      ? [sceneId]
      : (await readdir(outputRoot, { withFileTypes: true }))
          .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
          .map((d) => d.name);
  } catch {
    return [];
  }
  const out: RenderArtifact[] = [];
  // A scene's own renders sit in its folder; its shots' (timeline version 2) one folder down.
  const dirs: string[] = [];
  for (const scene of scenes) {
    const dir = path.join(outputRoot, scene);
    dirs.push(dir);
    try {
      for (const d of await readdir(dir, { withFileTypes: true }))
        if (d.isDirectory() && !d.name.startsWith('.')) dirs.push(path.join(dir, d.name));
    } catch {
      continue;
    }
  }
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.stv-')) continue;
      try {
        const parsed = SidecarSchema.safeParse(JSON.parse(await readFile(path.join(dir, name), 'utf8')));
        if (!parsed.success) continue;
        // Paths in the sidecar may come from another machine (a synced folder): trust the location.
        const videoPath = path.join(dir, name.replace(/\.json$/, '.mp4'));
        if (!(await isFile(videoPath))) continue;
        const { kind: _kind, ...artifact } = parsed.data;
        out.push({ ...artifact, videoPath, sidecarPath: path.join(dir, name) } as RenderArtifact);
      } catch {
        continue;
      }
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.videoPath.localeCompare(a.videoPath));
}
