/**
 * The scene panel's HTML shell: a strict Content-Security-Policy with a per-load nonce, no inline
 * script or style, no remote content; everything comes from the extension through asWebviewUri.
 * Pure (no `vscode` import) so the CSP is unit-tested.
 */
import { randomBytes } from 'node:crypto';

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `media-src ${cspSource}`,
    `font-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function panelHtml(opts: {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconsUri: string;
  title: string;
}): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(opts.cspSource, opts.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(opts.codiconsUri)}" id="vscode-codicon-stylesheet" nonce="${esc(opts.nonce)}">
<link rel="stylesheet" href="${esc(opts.styleUri)}" nonce="${esc(opts.nonce)}">
<title>${esc(opts.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"><p>Loading scenes…</p></main>
<script type="module" nonce="${esc(opts.nonce)}" src="${esc(opts.scriptUri)}"></script>
</body>
</html>`;
}
