/**
 * Width and height of a PNG, JPEG or WebP keyframe read from its header, and the render size that
 * fits a keyframe's aspect ratio. Used by `size: "auto"` and by the crop warning: both need the
 * keyframe's shape without decoding the image or pulling in an image library.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { MAX_SIDE, MIN_SIDE, SIZE_MULTIPLE } from './validSizes';

export interface ImageSize {
  width: number;
  height: number;
}

/** Reads `length` bytes at `position`; fewer at the end of the file. */
type ReadAt = (position: number, length: number) => Buffer;

/** The size a PNG, JPEG or WebP header states, or undefined for anything else or a damaged header. */
export function imageSizeFromHeader(readAt: ReadAt): ImageSize | undefined {
  const head = readAt(0, 32);
  if (head.length >= 24 && head.readUInt32BE(0) === 0x89504e47 && head.toString('latin1', 12, 16) === 'IHDR')
    return positive(head.readUInt32BE(16), head.readUInt32BE(20));
  if (head.length >= 30 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = head.toString('latin1', 12, 16);
    if (chunk === 'VP8X') return positive(1 + head.readUIntLE(24, 3), 1 + head.readUIntLE(27, 3));
    if (chunk === 'VP8 ') return positive(head.readUInt16LE(26) & 0x3fff, head.readUInt16LE(28) & 0x3fff);
    if (chunk === 'VP8L') {
      const b = head.readUInt32LE(21);
      return positive((b & 0x3fff) + 1, ((b >> 14) & 0x3fff) + 1);
    }
    return undefined;
  }
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xd8) return jpegSize(readAt);
  return undefined;
}

/** Walks the JPEG segments to the first start-of-frame marker (EXIF thumbnails come before it). */
function jpegSize(readAt: ReadAt): ImageSize | undefined {
  let pos = 2;
  for (let i = 0; i < 10_000; i++) {
    const seg = readAt(pos, 9);
    if (seg.length < 4 || seg[0] !== 0xff) return undefined;
    const marker = seg[1] as number;
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return seg.length >= 9 ? positive(seg.readUInt16BE(7), seg.readUInt16BE(5)) : undefined;
    pos += 2 + seg.readUInt16BE(2);
  }
  return undefined;
}

function positive(width: number, height: number): ImageSize | undefined {
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** The size of an image file on disk, or undefined when it cannot be read or is not an image. */
export function readImageSize(file: string): ImageSize | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const f = fd;
    return imageSizeFromHeader((position, length) => {
      const buf = Buffer.alloc(length);
      const n = readSync(f, buf, 0, length, position);
      return buf.subarray(0, n);
    });
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function roundSide(n: number): number {
  return Math.min(MAX_SIDE, Math.max(MIN_SIDE, Math.round(n / SIZE_MULTIPLE) * SIZE_MULTIPLE));
}

/**
 * The sizes "auto" chooses from for a render whose landscape size would be `base`: that size, the
 * same turned to portrait, and a square of about the same area. For Wan 2.2 TI2V 5B's native
 * 1280x704 these are 1280x704, 704x1280 (both sizes the model was trained at) and 944x944.
 */
export function autoSizeCandidates(base: ImageSize): ImageSize[] {
  const long = Math.max(base.width, base.height);
  const short = Math.min(base.width, base.height);
  const square = roundSide(Math.sqrt(long * short));
  return [
    { width: long, height: short },
    { width: short, height: long },
    { width: square, height: square },
  ];
}

/** The candidate whose aspect ratio is nearest the keyframe's (compared as log ratios, so 2:1 and 1:2 are equally far from 1:1). */
export function nearestSize(keyframe: ImageSize, candidates: ImageSize[]): ImageSize {
  const target = Math.log(keyframe.width / keyframe.height);
  let best = candidates[0] as ImageSize;
  for (const c of candidates)
    if (Math.abs(Math.log(c.width / c.height) - target) < Math.abs(Math.log(best.width / best.height) - target))
      best = c;
  return best;
}

/**
 * The share of the keyframe (0..1) that a centre crop to the render's aspect ratio cuts away. The
 * providers scale the keyframe to cover the render size, then crop the overflow.
 */
export function cropFraction(keyframe: ImageSize, render: ImageSize): number {
  const k = keyframe.width / keyframe.height;
  const r = render.width / render.height;
  return k > r ? 1 - r / k : 1 - k / r;
}

/** More than this share cut away is a visible crop: a subject near the edge of the keyframe is lost. */
export const VISIBLE_CROP = 0.1;
