/**
 * Messages between the extension and the keyframe variants view (issue 21), checked with zod on both
 * sides: the view only ever names a variant by the index the extension gave it, never by a path, so
 * nothing the page posts can make the extension copy a file it did not generate. Imported by both
 * bundles: no 'vscode' or Node imports.
 */
import { z } from 'zod';

export const KeyframeVariantViewSchema = z.object({
  index: z.int().min(0),
  uri: z.string().max(4000),
  seed: z.int().min(0),
  width: z.int().min(1),
  height: z.int().min(1),
  label: z.string().max(200),
});
export type KeyframeVariantView = z.infer<typeof KeyframeVariantViewSchema>;

export const KeyframesStateSchema = z.object({
  title: z.string().max(300),
  /** "Generating 2 of 4…", or an error, or empty when done. */
  status: z.string().max(2000),
  busy: z.boolean(),
  variants: z.array(KeyframeVariantViewSchema).max(64),
  /** The index of the variant set in the timeline, once one was picked here. */
  picked: z.int().min(0).optional(),
});
export type KeyframesState = z.infer<typeof KeyframesStateSchema>;

export const KeyframesToWebviewSchema = z.object({ type: z.literal('state'), state: KeyframesStateSchema });
export type KeyframesToWebview = z.infer<typeof KeyframesToWebviewSchema>;

export const KeyframesFromWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('pick'), index: z.int().min(0).max(63) }),
]);
export type KeyframesFromWebview = z.infer<typeof KeyframesFromWebviewSchema>;
