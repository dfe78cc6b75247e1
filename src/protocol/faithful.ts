/**
 * Render warnings after which the editor (and a render's notification) offers the keyframe-faithful
 * model. On its own, without zod, so the extension's activation does not build the message schemas
 * (src/protocol/messages.ts re-exports it for the webview).
 */
export function offersFaithful(code: string, providerId: string): boolean {
  return providerId === 'fastvideo-local' && (code === 'KEYFRAME_IGNORED' || code === 'SIZE_CHANGED');
}
