// Builds the two bundles the extension ships: the extension host code (Node, CommonJS) and the
// scene panel's browser bundle. The CLI is a third entry on the Node side so that it shares the
// same core without a separate toolchain.
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  minify: production,
  sourcemap: true,
  logLevel: 'info',
  legalComments: 'linked',
};

// zod ships ~260 kB of error-message translations that every bundle would carry; our messages are
// English, so each bundle gets a `locales` module with English only (zod's default). On the Node
// side that is code VS Code no longer loads when it activates the extension.
/** @type {import('esbuild').Plugin} */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer)
        ? { path: path.resolve(args.resolveDir, '../locales/en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

// VS Code's activation time includes compiling all of dist/extension.js, even code that only runs
// later: a module reached by `import()` is evaluated on first use but parsed with the rest. The
// libraries only such code uses get files of their own, which Node reads and compiles on their
// first `require`: undici (~520 KB minified, the first request), zod (~190 KB: the settings model,
// the timeline loader, the editor's messages, all loaded on first use) and ws (the ComfyUI
// follower). Each is bundled once and shared by every module of dist/extension.js; none keeps
// state that our code shares with another copy (the CLI keeps one self-contained file).
const OWN_FILES = ['undici', 'zod', 'ws'];
/** @type {import('esbuild').Plugin} */
const librariesInOwnFiles = {
  name: 'libraries-in-own-files',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${OWN_FILES.join('|')})$`) }, (args) => ({
      path: `./${args.path}.js`,
      external: true,
    }));
  },
};
/** The entry of each such file: zod through its ES module build (zodEnglishOnly applies there), the others as CommonJS. */
/** @type {import('esbuild').Plugin} */
const libraryEntries = {
  name: 'library-entries',
  setup(build) {
    build.onResolve({ filter: /^library:/ }, (args) => ({
      path: args.path.slice('library:'.length),
      namespace: 'library',
    }));
    build.onLoad({ filter: /.*/, namespace: 'library' }, (args) => ({
      contents:
        args.path === 'zod' ? "export * from 'zod';" : `module.exports = require(${JSON.stringify(args.path)});`,
      resolveDir: process.cwd(),
    }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const node = {
  ...common,
  outdir: 'dist',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // jsonc-parser's "main" is a UMD build whose dynamic requires esbuild cannot follow; its ESM build bundles.
  mainFields: ['module', 'main'],
  // 'vscode' is provided by the extension host; bufferutil/utf-8-validate are optional native
  // speed-ups of `ws` that we deliberately do not ship.
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
};

const builds = [
  {
    ...node,
    entryPoints: { extension: 'src/vscode/extension.ts' },
    plugins: [zodEnglishOnly, librariesInOwnFiles],
    // `import('./undici.js')` becomes `require()`: the files are CommonJS, and require keeps their
    // named exports and goes through the extension host's module loader like the rest of the extension.
    supported: { 'dynamic-import': false },
  },
  {
    ...node,
    entryPoints: Object.fromEntries(OWN_FILES.map((name) => [name, `library:${name}`])),
    plugins: [zodEnglishOnly, libraryEntries],
  },
  { ...node, entryPoints: { cli: 'src/cli.ts' }, plugins: [zodEnglishOnly] },
  {
    ...common,
    // The keyframe variants view (issue 21) is a page of its own, with its own small bundle.
    entryPoints: { webview: 'webview/main.ts', keyframes: 'webview/keyframes.ts' },
    outdir: 'dist',
    plugins: [zodEnglishOnly],
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
  },
];

// Static webview assets: the panel's stylesheet and the codicon font, served via asWebviewUri.
async function copyAssets() {
  const { cp, mkdir, readFile, writeFile } = await import('node:fs/promises');
  await mkdir('dist/codicons', { recursive: true });
  // One stylesheet for the page (the CSP allows the extension's files, but one request is enough).
  const css = await Promise.all(['webview/panel.css', 'webview/takes.css'].map((f) => readFile(f, 'utf8')));
  await writeFile('dist/webview.css', css.join('\n'));
  await cp('webview/keyframes.css', 'dist/keyframes.css');
  await cp('node_modules/@vscode/codicons/dist/codicon.css', 'dist/codicons/codicon.css');
  await cp('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/codicons/codicon.ttf');
}
await copyAssets();

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
