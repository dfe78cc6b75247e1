/**
 * What sizes and lengths the target models accept, and the nearest valid values when a request
 * misses. Wan 2.2 TI2V 5B (both FastVideo's FastWan build and ComfyUI's) encodes with a VAE that
 * downsamples by 16 spatially and 4 temporally, so width/height must be multiples of 16 and the
 * frame count 4k+1. Its native size is 1280x704 at 24 fps; 121 frames is 5 seconds.
 */
export const SIZE_MULTIPLE = 16;
export const MIN_SIDE = 256;
export const MAX_SIDE = 1920;
export const MIN_FRAMES = 5;
export const MAX_FRAMES = 241;
export const MIN_FPS = 1;
export const MAX_FPS = 60;
export const NATIVE = { width: 1280, height: 704, fps: 24, numFrames: 121 } as const;

export function isValidSide(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_SIDE && n <= MAX_SIDE && n % SIZE_MULTIPLE === 0;
}

export function isValidFrameCount(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_FRAMES && n <= MAX_FRAMES && (n - 1) % 4 === 0;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

/** The valid sides just below and above `n` (one value when they coincide or at the range ends). */
export function nearestSides(n: number): number[] {
  const lo = clamp(Math.floor(n / SIZE_MULTIPLE) * SIZE_MULTIPLE, MIN_SIDE, MAX_SIDE);
  const hi = clamp(Math.ceil(n / SIZE_MULTIPLE) * SIZE_MULTIPLE, MIN_SIDE, MAX_SIDE);
  return lo === hi ? [lo] : [lo, hi];
}

export function nearestFrameCounts(n: number): number[] {
  const lo = clamp(Math.floor((n - 1) / 4) * 4 + 1, MIN_FRAMES, MAX_FRAMES);
  const hi = clamp(Math.ceil((n - 1) / 4) * 4 + 1, MIN_FRAMES, MAX_FRAMES);
  return lo === hi ? [lo] : [lo, hi];
}

/** Frames for a length in seconds: the nearest 4k+1 to seconds*fps+1 (5 s at 24 fps = 121). */
export function framesForSeconds(seconds: number, fps: number): number {
  const raw = seconds * fps + 1;
  return clamp(Math.round((raw - 1) / 4) * 4 + 1, MIN_FRAMES, MAX_FRAMES);
}

export function describeSideProblem(name: 'width' | 'height', n: number): string {
  const near = nearestSides(n).join(' or ');
  return `${name} ${n} cannot be rendered: it must be a multiple of ${SIZE_MULTIPLE} between ${MIN_SIDE} and ${MAX_SIDE}. Nearest valid: ${near} (the model's native size is ${NATIVE.width}x${NATIVE.height}).`;
}

export function describeFramesProblem(n: number): string {
  const near = nearestFrameCounts(n).join(' or ');
  return `${n} frames cannot be rendered: the frame count must be 4k+1 between ${MIN_FRAMES} and ${MAX_FRAMES}. Nearest valid: ${near} (121 frames = 5 s at 24 fps).`;
}
