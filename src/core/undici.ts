/**
 * undici, loaded on first use. Evaluating it takes ~40 ms (measured by requiring the bundle with
 * and without it): as a static import that time lands in the extension's activation, before any
 * request is made. Types come from a type-only import, which costs nothing at run time.
 */
import type * as Undici from 'undici';

let loading: Promise<typeof Undici> | undefined;

export function undici(): Promise<typeof Undici> {
  return (loading ??= import('undici'));
}

/**
 * Our own connection pool, from the undici bundled with us: every request the extension, the CLI and
 * the tests make goes through it, never through the process-wide one.
 *
 * Without it, undici's `request()` uses the process-wide dispatcher (the global
 * `Symbol.for('undici.globalDispatcher.1')`), which whoever loads undici first installs. In the CLI
 * that is our copy. In VS Code's extension host (Node 24) something has called the global `fetch`
 * before we run, so it is Node's internal undici (7.29 in Node 24.21), another copy: given the
 * ComfyUI keyframe upload's FormData, made by our copy, it sent the body (ComfyUI saved the image)
 * but never completed the request, and our headers timeout, an option that copy's pool did not
 * apply, never fired: issue 13, every render from VS Code stuck at "Uploading the keyframe · 0%".
 * Plain GETs and JSON POSTs worked through it, which is why health looked fine; the FastVideo
 * client's requests go through our pool too, so no other request depends on that copy's behaviour.
 */
let own: Promise<Undici.Dispatcher> | undefined;

export function ownDispatcher(): Promise<Undici.Dispatcher> {
  return (own ??= undici().then((u) => new u.Agent({ connect: { timeout: 10_000 } })));
}
