/**
 * CMX 3600 EDL: one event per take (C for a cut; a zero-length cut of the outgoing take plus a
 * D event for a crossfade), the take's file in "* FROM CLIP" comments so editors can relink, and a
 * LOC marker with the shot's key. Record and source times are non-drop timecode at the film's rate.
 */
import type { CutPlan } from '../assembly/plan';
import { StvError } from '../errors';
import { editorial, timecode } from './editorial';

/** Integer SMPTE rates (CMX 3600 readers refuse others, such as the preview's 16 fps). */
export const SMPTE_RATES = [24, 25, 30, 48, 50, 60];

export function toEdl(plan: CutPlan): string {
  const fps = plan.fps;
  if (!SMPTE_RATES.includes(fps))
    throw new StvError(
      'INVALID_REQUEST',
      `An EDL's timecode runs at 24, 25, 30, 48, 50 or 60 fps; this film is ${fps} fps.`,
      'Set the timeline\'s "defaults.fps" to one of those (and render again), or export OTIO or FCP XML, which keep any rate.',
    );
  const tc = (f: number) => timecode(f, fps);
  const lines = [`TITLE: ${plan.title.replace(/[\r\n]/g, ' ').slice(0, 70)}`, 'FCM: NON-DROP FRAME', ''];
  const ed = editorial(plan);
  // In an EDL a dissolve starts where the outgoing event stops: each event runs from the start of
  // the transition into it to the start of the transition out of it.
  const starts = ed.map((e) => e.recordIn - (e.fadeIn?.inOffset ?? 0));
  ed.forEach((e, i) => {
    const n = String(i + 1).padStart(3, '0');
    const recIn = starts[i] as number;
    const recOut = i + 1 < ed.length ? (starts[i + 1] as number) : e.recordOut;
    const srcIn = e.sourceIn - (e.fadeIn?.inOffset ?? 0);
    const srcOut = srcIn + (recOut - recIn);
    const from = (c: (typeof ed)[number]['clip']) => [`* FROM CLIP NAME: ${c.key}`, `* FROM CLIP: ${c.take}`];
    const prev = ed[i - 1];
    if (e.fadeIn && prev) {
      const d = e.fadeIn.inOffset + e.fadeIn.outOffset;
      const prevSrc = prev.sourceIn - (prev.fadeIn?.inOffset ?? 0) + (recIn - (starts[i - 1] as number));
      lines.push(`${n}  AX       V     C        ${tc(prevSrc)} ${tc(prevSrc)} ${tc(recIn)} ${tc(recIn)}`);
      lines.push(
        `${n}  AX       V     D ${String(d).padStart(3, '0')}    ${tc(srcIn)} ${tc(srcOut)} ${tc(recIn)} ${tc(recOut)}`,
      );
      // Avid's TO CLIP is not read by every tool: OTIO's CMX reader takes the incoming take's media
      // from the last media line of the event, so name it once more in OTIO's own comment.
      lines.push(
        ...from(prev.clip),
        ...from(e.clip).map((l) => l.replace('* FROM', '* TO')),
        `* OTIO REFERENCE MEDIA: ${e.clip.take}`,
      );
    } else {
      lines.push(`${n}  AX       V     C        ${tc(srcIn)} ${tc(srcOut)} ${tc(recIn)} ${tc(recOut)}`);
      lines.push(...from(e.clip));
    }
    lines.push(`* LOC: ${tc(srcIn)} RED     ${e.clip.key}`, '');
  });
  return `${lines.join('\n')}\n`;
}
