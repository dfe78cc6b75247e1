/**
 * What a keyframe file must be before any provider uploads it: an image by its magic bytes (PNG,
 * JPEG or WebP; a .png name is not enough, since a symlink or a renamed file could be anything,
 * /etc/passwd included), with a size and shape whose derived images stay proportional to a render.
 * The adapter applies the same bounds (python/stv_adapter/keyframe.py); test/unit checks they agree.
 */
import { readFile } from 'node:fs/promises';
import { StvError } from './errors';
import { declaredImageSize } from './timeline/imageSize';

export type ImageFormat = 'png' | 'jpeg' | 'webp';
export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The adapter's max_keyframe_pixels: a keyframe larger than this is refused, not decoded. */
export const MAX_KEYFRAME_PIXELS = 40_000_000;
/** How far a keyframe's aspect ratio may differ from the render's (adapter: MAX_ASPECT_MISMATCH). */
export const MAX_ASPECT_MISMATCH = 10;
/** The most elongated render (1920x256): with no render size known, the shape bound is relative to it. */
const MOST_ELONGATED_RENDER = 1920 / 256;

/** The format by the first 12 bytes alone (enough to tell an image from anything else). */
export function imageFormatOf(head: Uint8Array): ImageFormat | undefined {
  const ascii = (o: number, n: number) => String.fromCharCode(...head.subarray(o, o + n));
  if (head[0] === 0x89 && ascii(1, 3) === 'PNG') return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return 'webp';
  return undefined;
}

/** Format and size from the header alone; undefined when the bytes are not a PNG, JPEG or WebP. */
export function sniffImage(b: Uint8Array): ImageInfo | undefined {
  const format = imageFormatOf(b);
  if (!format) return undefined;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const size = declaredImageSize((position, length) => buf.subarray(position, position + length));
  return size && { format, ...size };
}

/** Why these bytes may not be sent as a keyframe (for a render of `render` size, when known), or undefined. */
export function keyframeProblem(
  bytes: Uint8Array,
  file: string,
  render?: { width: number; height: number },
): string | undefined {
  const info = sniffImage(bytes);
  if (!info)
    return `Keyframe ${file} is not a PNG, JPEG or WebP image (judged by its content, not its name); it was not sent.`;
  const { width: w, height: h } = info;
  if (w < 1 || h < 1) return `Keyframe ${file} declares a ${w}x${h} image.`;
  if (w * h > MAX_KEYFRAME_PIXELS)
    return `Keyframe ${file} is ${w}x${h} pixels, more than the ${MAX_KEYFRAME_PIXELS.toLocaleString('en-US')}-pixel bound.`;
  const elongation = render
    ? Math.max((w * render.height) / (h * render.width), (h * render.width) / (w * render.height))
    : Math.max(w / h, h / w);
  const bound = render ? MAX_ASPECT_MISMATCH : MAX_ASPECT_MISMATCH * MOST_ELONGATED_RENDER;
  if (elongation > bound) {
    const shape = render
      ? `${Math.round(elongation)} times wider or taller than the ${render.width}x${render.height} render`
      : `an aspect ratio of ${Math.round(elongation)}:1`;
    return `Keyframe ${file} is ${w}x${h} pixels, ${shape}; at most ${bound} is accepted.`;
  }
  return undefined;
}

/** Reads a keyframe for upload, refusing anything keyframeProblem() names. */
export async function readKeyframeImage(file: string, render?: { width: number; height: number }): Promise<Buffer> {
  const bytes = await readFile(file);
  const problem = keyframeProblem(bytes, file, render);
  if (problem)
    throw new StvError('INVALID_REQUEST', problem, 'Use a PNG, JPEG or WebP of about the render size and shape.');
  return bytes;
}
