/**
 * The cut in an editor's terms, shared by the three exports: each clip's source range and the
 * transitions' offsets. A crossfade of d frames between takes A and B is a cut point with
 * in_offset = floor(d/2) frames before it (B's head handle) and out_offset = the rest after it
 * (A's tail handle), so every take is used whole and the track is as long as the film.
 */
import type { CutPlan, PlannedClip } from '../assembly/plan';

export interface EditorialClip {
  clip: PlannedClip;
  /** Source range shown on the track between the cut points, in film frames. */
  sourceIn: number;
  sourceOut: number;
  /** Where that range sits on the track. */
  recordIn: number;
  recordOut: number;
  /** The transition into this clip, when it is a crossfade. */
  fadeIn?: { inOffset: number; outOffset: number };
}

export function editorial(plan: CutPlan): EditorialClip[] {
  const out: EditorialClip[] = [];
  const n = plan.clips.length;
  for (let i = 0; i < n; i++) {
    const c = plan.clips[i] as PlannedClip;
    const next = plan.clips[i + 1];
    const dIn = c.transition.type === 'crossfade' && i > 0 ? Math.round(c.transition.seconds * plan.fps) : 0;
    const dOut = next && next.transition.type === 'crossfade' ? Math.round(next.transition.seconds * plan.fps) : 0;
    const headHandle = Math.floor(dIn / 2);
    const tailHandle = dOut - Math.floor(dOut / 2);
    const sourceIn = headHandle;
    const sourceOut = c.frames - tailHandle;
    const recordIn = c.recordIn + headHandle;
    out.push({
      clip: c,
      sourceIn,
      sourceOut,
      recordIn,
      recordOut: recordIn + (sourceOut - sourceIn),
      ...(dIn > 0 ? { fadeIn: { inOffset: headHandle, outOffset: dIn - headHandle } } : {}),
    });
  }
  return out;
}

/** SMPTE non-drop timecode at an integer frame rate. */
export function timecode(frames: number, fps: number): string {
  const r = Math.round(fps);
  const p = (v: number) => String(v).padStart(2, '0');
  const f = frames % r;
  const s = Math.floor(frames / r);
  return `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}:${p(f)}`;
}
