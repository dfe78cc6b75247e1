import { execFileSync } from 'node:child_process';
import { venvPython } from './paths';

export interface Mp4Probe {
  codec: string;
  size: [number, number];
  fps: number;
  frames: number;
}

/**
 * Decodes every frame with the ffmpeg that ships in the adapter's imageio-ffmpeg wheel, so the
 * tests need no system ffprobe: codec, size, fps and the real frame count.
 */
export function probeMp4(file: string): Mp4Probe {
  const script = [
    'import json, sys, imageio_ffmpeg',
    'r = imageio_ffmpeg.read_frames(sys.argv[1])',
    'm = next(r)',
    'n = sum(1 for _ in r)',
    'print(json.dumps({"codec": m.get("codec"), "size": list(m["size"]), "fps": m["fps"], "frames": n}))',
  ].join('\n');
  return JSON.parse(execFileSync(venvPython, ['-c', script, file], { encoding: 'utf8' })) as Mp4Probe;
}
