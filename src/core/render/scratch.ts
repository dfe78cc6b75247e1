/**
 * The extension's and the CLI's scratch files under an output folder: per-job folders in
 * `.stv-tmp/` and the `.part` file an MP4 is copied into before it is published. Their names carry
 * the owning process id, so that after a crash (a killed extension host, a closed terminal) the
 * next render into the same folder removes what a process that is gone left behind, and never what
 * another live window is still writing.
 */
import { readdir, rm, unlink } from 'node:fs/promises';
import * as path from 'node:path';

export const SCRATCH_FOLDER = '.stv-tmp';

/** The scratch folder of one job of this process. */
export function scratchDirFor(outputRoot: string, jobId: string): string {
  return path.join(outputRoot, SCRATCH_FOLDER, `${process.pid}-${jobId}`);
}

/** The temp name an artifact is copied to before it is linked into place. */
export function artifactTempName(id: string, ext: string): string {
  return `.stv-${process.pid}-${id}${ext}.part`;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

const OWNER = /^(?:\.stv-)?(\d+)-/;
const ownerGone = (name: string): boolean => {
  const m = OWNER.exec(name);
  return m !== null && !alive(Number(m[1]));
};

const cleaned = new Set<string>();

/**
 * Removes, once per output folder and process, the scratch folders and `.part` files (in the
 * folder and its scene folders) of processes that are gone. Returns how many it removed.
 */
export async function removeStaleScratch(outputRoot: string): Promise<number> {
  if (cleaned.has(outputRoot)) return 0;
  cleaned.add(outputRoot);
  let removed = 0;
  const list = async (dir: string) => readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of await list(path.join(outputRoot, SCRATCH_FOLDER))) {
    if (e.isDirectory() && ownerGone(e.name)) {
      await rm(path.join(outputRoot, SCRATCH_FOLDER, e.name), { recursive: true, force: true }).then(
        () => removed++,
        () => undefined,
      );
    }
  }
  const parts = async (dir: string) => {
    for (const e of await list(dir)) {
      if (e.isFile() && e.name.startsWith('.stv-') && e.name.endsWith('.part') && ownerGone(e.name))
        await unlink(path.join(dir, e.name)).then(
          () => removed++,
          () => undefined,
        );
    }
  };
  await parts(outputRoot);
  for (const e of await list(outputRoot))
    if (e.isDirectory() && !e.name.startsWith('.')) await parts(path.join(outputRoot, e.name));
  return removed;
}
