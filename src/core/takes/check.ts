/**
 * The loader's checks for the cut's fields (load.ts calls checkCut on the raw data): a chosen take
 * whose file is gone, a transition word we do not know, continuity that has nothing to continue from
 * or was extracted from a take that is no longer the previous clip's choice, a missing soundtrack.
 * They surface through the loader, so `validate` prints them and the Problems panel shows them.
 */
import * as path from 'node:path';
import { resolveTransition, type Transition } from '../timeline/cut';
import { idText } from '../timeline/v2';

type Reporter = (severity: 'error' | 'warning', code: string, message: string, p: (string | number)[]) => void;

function rec(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function checkCut(
  data: Record<string, unknown>,
  opts: { timelineFile: string; fileExists: (abs: string) => boolean },
  at: Reporter,
): void {
  const abs = (rel: string) => path.resolve(path.dirname(opts.timelineFile), rel.replace(/\\/g, '/'));
  // The clips in timeline order: each shot, or the scene itself when it has none.
  const clips: { o: Record<string, unknown>; p: (string | number)[]; name: string }[] = [];
  (Array.isArray(data.scenes) ? data.scenes : []).forEach((raw, i) => {
    const s = rec(raw);
    if (!s) return;
    const shots = Array.isArray(s.shots) ? s.shots : undefined;
    if (!shots) return clips.push({ o: s, p: ['scenes', i], name: `scene "${idText(s.id, i)}"` });
    shots.forEach((sh, j) => {
      const o = rec(sh);
      if (o) clips.push({ o, p: ['scenes', i, 'shots', j], name: `shot "${idText(s.id, i)}/${idText(o.id, j)}"` });
    });
    if (s.take !== undefined)
      at(
        'warning',
        'take-ignored',
        `scenes[${i}].take is ignored: this scene has shots, and each shot has its own "take".`,
        ['scenes', i, 'take'],
      );
  });
  clips.forEach(({ o, p, name }, k) => {
    const key = name.replace(/^(scene|shot) "|"$/g, '');
    if (typeof o.take === 'string' && o.take) {
      if (!opts.fileExists(abs(o.take)))
        at(
          'warning',
          'take-missing',
          `The chosen take "${o.take}" of ${name} does not exist (looked for ${abs(o.take)}). Choose another with "scene-to-video takes FILE --shot ${key}" and "scene-to-video choose FILE --shot ${key} N", or remove "take" to use the newest.`,
          [...p, 'take'],
        );
      else if (!/\.mp4$/i.test(o.take))
        at(
          'warning',
          'take-format',
          `The chosen take "${o.take}" of ${name} is not an .mp4 file; takes are the MP4 renders.`,
          [...p, 'take'],
        );
    }
    if (o.transition !== undefined && resolveTransition(o.transition as Transition) === undefined)
      at(
        'warning',
        'transition-unknown',
        `${name}: transition ${JSON.stringify(o.transition)} is not one we assemble; it is treated as a cut. Use "Cut", "Dissolve" or { "type": "crossfade", "seconds": 0.5 }.`,
        [...p, 'transition'],
      );
    const c = rec(o.continuity);
    if (!c) return;
    const prev = clips[k - 1];
    if (!prev) {
      at(
        'error',
        'continuity-first',
        `${name} is the first clip of the timeline, so it cannot continue from a previous one: remove "continuity".`,
        [...p, 'continuity'],
      );
      return;
    }
    if (typeof c.take === 'string' && typeof prev.o.take === 'string' && abs(c.take) !== abs(prev.o.take))
      at(
        'warning',
        'continuity-stale',
        `${name} starts on the last frame of ${c.take}, but ${prev.name}'s chosen take is now ${prev.o.take}: run "scene-to-video link FILE" to extract its last frame again, then re-render ${name}.`,
        [...p, 'continuity', 'take'],
      );
  });
  const st = rec(data.soundtrack);
  if (typeof st?.file === 'string' && st.file && !opts.fileExists(abs(st.file)))
    at(
      'error',
      'soundtrack-missing',
      `The soundtrack "${st.file}" does not exist (looked for ${abs(st.file)}; paths are relative to the timeline file).`,
      ['soundtrack', 'file'],
    );
}
