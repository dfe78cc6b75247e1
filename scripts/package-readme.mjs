// Writes dist/README.md, the README the .vsix carries (`vsce package --readme-path`).
// VS Code shows an installed extension's README without its relative images (1.139 drops their
// src), and vsce can only make them absolute from a public repository URL, which we do not have.
// So the packaged README leaves out the block between `<!-- screenshots` and `<!-- /screenshots -->`,
// and packaging fails if a relative image is left outside it, rather than shipping a broken picture.
// Its links fare no better: the extension page follows only http, https and mailto links for an
// extension that is not built in, so a relative link (docs/comfyui.md) becomes its text; the guides
// themselves ship in the .vsix and open with "Scene to Video: Open documentation".
import * as fs from 'node:fs';

const BLOCK = /^<!-- screenshots\b[^\n]*-->\r?\n[\s\S]*?^<!-- \/screenshots -->\r?\n(\r?\n)?/gm; // CRLF too: a Windows checkout
const RELATIVE_IMAGE = /!\[[^\]]*\]\((?!https:\/\/)[^)]*\)|<img\b[^>]*\bsrc=["'](?!https:\/\/)[^"']*/g;

const RELATIVE_LINK = /(?<!!)\[([^\]]+)\]\((?!https?:|mailto:)([^)\s]+)\)/g;

const packaged = fs
  .readFileSync('README.md', 'utf8')
  .replace(BLOCK, '')
  .replace(RELATIVE_LINK, (_, text, target) => (text === target ? `\`${text}\`` : text));
const left = packaged.match(RELATIVE_IMAGE);
if (left) {
  console.error(
    `README.md has images outside the <!-- screenshots --> block, which an installed extension cannot show: ${left.join(', ')}`,
  );
  process.exit(1);
}
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/README.md', packaged);
