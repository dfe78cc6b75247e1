/**
 * The values of a scene or shot that the timeline editor changes in place: one list for the edits
 * (authoring.ts), the messages the editor's webview may send (src/protocol/messages.ts) and the
 * fields it draws. No imports, so the webview bundle can take it. width … model live under
 * `overrides` in the timeline.
 */
export const EDITABLE_FIELDS = [
  'title',
  'prompt',
  'negativePrompt',
  'seconds',
  'frames',
  'seed',
  'width',
  'height',
  'provider',
  'model',
] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];
export const OVERRIDE_FIELDS: ReadonlySet<EditableField> = new Set(['width', 'height', 'provider', 'model']);
export const NUMBER_FIELDS: ReadonlySet<EditableField> = new Set(['seconds', 'frames', 'seed', 'width', 'height']);
