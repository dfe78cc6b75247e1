/**
 * Imported first by main.ts: zod decides at schema construction whether to compile validators with
 * `new Function`, probing for it once. The panel's CSP forbids eval, and Chromium reports even the
 * caught probe as a CSP violation, so zod is told not to try before any schema exists.
 */
import { config } from 'zod';

config({ jitless: true });
