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
