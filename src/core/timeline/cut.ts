/**
 * The cut's fields in the timeline (issue 19), kept apart from schema.ts so the format's other
 * fields and these evolve without conflicts: the chosen take of a clip, continuity with the previous
 * clip, how a clip follows the previous one, and the film's soundtrack. schema.ts imports them.
 */
import { z } from 'zod';

export const TRANSITION_TYPES = ['cut', 'crossfade'] as const;
export type TransitionType = (typeof TRANSITION_TYPES)[number];
/** A crossfade written without a length, or as gemDirect1's "Dissolve", lasts this long. */
export const DEFAULT_CROSSFADE_SECONDS = 0.5;

export const TransitionSchema = z
  .union([
    z
      .string()
      .min(1)
      .max(100)
      .describe('As gemDirect1 writes it: "Cut", or "Dissolve" / "Crossfade" (a 0.5 s crossfade).'),
    z.strictObject({
      type: z
        .enum(TRANSITION_TYPES)
        .describe('cut: the next clip starts at once; crossfade: the two overlap and blend.'),
      seconds: z.number().positive().max(10).optional().describe('Length of the crossfade in seconds (default 0.5).'),
    }),
  ])
  .describe('How this clip follows the previous one when the timeline is assembled (default: a cut).');

export const TakeSchema = z
  .string()
  .min(1)
  .max(1024)
  .describe(
    'The chosen take: one render (MP4) of this clip, relative to this timeline file. Without it the newest render counts.',
  );

export const ContinuitySchema = z
  .strictObject({
    from: z.literal('previous').describe('Start where the previous clip (in timeline order) ends.'),
    take: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe(
        'The previous clip\'s take the start keyframe was extracted from (written by "choose"); relative to this file.',
      ),
  })
  .describe("This clip's start keyframe is the last frame of the previous clip's chosen take (kept in keyframes/).");

export const SoundtrackSchema = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .max(1024)
      .describe('An audio (or video) file relative to this timeline file; its audio is used.'),
    fadeInSeconds: z.number().min(0).max(30).optional().describe('Fade in at the start of the film (default 0).'),
    fadeOutSeconds: z.number().min(0).max(30).optional().describe('Fade out at the end of the film (default 1).'),
  })
  .describe("The film's sound: trimmed (or padded with silence) to the film's length and faded out.");

export type Transition = z.infer<typeof TransitionSchema>;
export type Continuity = z.infer<typeof ContinuitySchema>;
export type Soundtrack = z.infer<typeof SoundtrackSchema>;

export interface ResolvedTransition {
  type: TransitionType;
  /** 0 for a cut. */
  seconds: number;
}

const CROSSFADE_WORDS = /^(crossfade|cross[- ]?dissolve|dissolve|mix|fade)$/i;

/** What a written transition means; undefined for a word we do not know (the loader warns). */
export function resolveTransition(t: Transition | undefined): ResolvedTransition | undefined {
  if (t === undefined) return { type: 'cut', seconds: 0 };
  if (typeof t === 'string') {
    if (/^(cut|hard cut|straight cut)$/i.test(t.trim())) return { type: 'cut', seconds: 0 };
    if (CROSSFADE_WORDS.test(t.trim())) return { type: 'crossfade', seconds: DEFAULT_CROSSFADE_SECONDS };
    return undefined;
  }
  return t.type === 'cut'
    ? { type: 'cut', seconds: 0 }
    : { type: 'crossfade', seconds: t.seconds ?? DEFAULT_CROSSFADE_SECONDS };
}
