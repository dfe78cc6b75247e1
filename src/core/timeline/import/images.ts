/** Decoding base64 images from imports and writing them without ever replacing a file. */
import { randomUUID } from 'node:crypto';
import { link, mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

const SIGNATURES: { ext: string; test: (b: Buffer) => boolean }[] = [
  { ext: '.png', test: (b) => b.length > 8 && b.readUInt32BE(0) === 0x89504e47 },
  { ext: '.jpg', test: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  {
    ext: '.webp',
    test: (b) => b.length > 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP',
  },
];

/** Decodes base64 or a data: URL; returns the bytes and the extension their magic bytes say. */
export function decodeImage(b64: string): { bytes: Buffer; ext: string } | undefined {
  const raw = b64.startsWith('data:') ? b64.slice(b64.indexOf(',') + 1) : b64;
  // URL-safe base64 (-, _) and missing padding decode the same way.
  const clean = raw.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length < 16) return undefined;
  const bytes = Buffer.from(clean, 'base64');
  const sig = SIGNATURES.find((s) => s.test(bytes));
  return sig ? { bytes, ext: sig.ext } : undefined;
}

/** Error codes of file systems without hard links (FAT/exFAT drives, some network shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/**
 * Gives the finished temp file its final name, failing with EEXIST if that name is taken. A hard
 * link does both in one step; where links are not supported, the name is reserved with an
 * exclusive create and the temp file renamed over our own reservation.
 */
async function claim(tmp: string, final: string): Promise<void> {
  try {
    await link(tmp, final);
  } catch (e) {
    if (!NO_HARD_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    await writeFile(final, '', { flag: 'wx' }); // throws EEXIST when taken
    await rename(tmp, final); // replaces only our empty reservation, atomically
  }
}

/** Writes `bytes` as `<dir>/<base><ext>` or `<base>-<n><ext>`, atomically and never over an existing file. */
export async function writeNewFile(dir: string, base: string, ext: string, bytes: Buffer): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.stv-${randomUUID()}${ext}.part`);
  await writeFile(tmp, bytes, { flag: 'wx' });
  try {
    for (let n = 0; n < 10_000; n++) {
      const final = path.join(dir, n === 0 ? `${base}${ext}` : `${base}-${n}${ext}`);
      try {
        await claim(tmp, final);
        return final;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    throw new Error(`no free name for ${base}${ext} in ${dir}`);
  } finally {
    await unlink(tmp).catch(() => rm(tmp, { force: true }));
  }
}
