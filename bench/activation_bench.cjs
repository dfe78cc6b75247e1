#!/usr/bin/env node
// Activation outside VS Code: what the shipped bundle costs when it loads and activates, and what its
// first health check then loads (docs/performance.md, "Activation at or below Git's"). Each run is a
// fresh Node process with a stand-in for `vscode` (test/helpers/vscodeStandIn.cjs): require
// dist/extension.js, call activate(), then refreshHealth() twice; with nothing listening on the
// default ports both answer at once, so the first minus the second is what loading on first use costs.
// The baseline, in the same runs and interleaved: requiring the built-in Git extension's bundle
// (code-server's copy, installed by scripts/install-test-tools.sh; its activate() needs a real VS
// Code, so the in-editor bench, test/vscode/bench.mjs, is the one that compares activations).
//   node bench/activation_bench.cjs [--runs 9] [--bundle dist/extension.js] [--git PATH]
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ms = () => Number(process.hrtime.bigint()) / 1e6;

async function child(file, activate) {
  require('../test/helpers/vscodeStandIn.cjs').installVscodeStandIn();
  const { standIn } = require('../test/helpers/vscodeStandIn.cjs');
  const t0 = ms();
  const ext = require(path.resolve(file));
  const t1 = ms();
  if (!activate) return { requireMs: t1 - t0 };
  const api = ext.activate(standIn('context'));
  const t2 = ms();
  await api.refreshHealth();
  const t3 = ms();
  await api.refreshHealth();
  const t4 = ms();
  return { requireMs: t1 - t0, activateMs: t2 - t1, firstCheckMs: t3 - t2, secondCheckMs: t4 - t3 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function main() {
  const runs = Number(arg('--runs', 9));
  const bundle = arg('--bundle', path.join(__dirname, '..', 'dist', 'extension.js'));
  const tools = process.env.STV_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'stv-tools');
  const git = arg('--git', path.join(tools, 'cs/node_modules/code-server/lib/vscode/extensions/git/dist/main.js'));
  const run = (file, activate) =>
    JSON.parse(
      execFileSync(process.execPath, [__filename, '--child', file, ...(activate ? ['--activate'] : [])], {
        encoding: 'utf8',
      }),
    );
  const ours = [];
  const gits = [];
  for (let i = 0; i < runs; i++) {
    ours.push(run(bundle, true));
    if (existsSync(git)) gits.push(run(git, false));
  }
  const m = (xs, f) => Math.round(median(xs.map(f)) * 10) / 10;
  const activation = m(ours, (r) => r.requireMs + r.activateMs);
  const gitRequire = gits.length ? m(gits, (r) => r.requireMs) : null;
  console.log(
    JSON.stringify({
      runs,
      bundle: path.relative(process.cwd(), bundle),
      activationMs: activation,
      requireMs: m(ours, (r) => r.requireMs),
      activateMs: m(ours, (r) => r.activateMs),
      firstCheckMs: m(ours, (r) => r.firstCheckMs),
      loadedOnFirstCheckMs: m(ours, (r) => r.firstCheckMs - r.secondCheckMs),
      activationPlusFirstCheckMs: m(ours, (r) => r.requireMs + r.activateMs + r.firstCheckMs),
      gitRequireMs: gitRequire,
      activationRatioToGitRequire: gitRequire ? Math.round((activation / gitRequire) * 100) / 100 : null,
    }),
  );
}

if (process.argv.includes('--child'))
  child(arg('--child'), process.argv.includes('--activate')).then((r) => {
    process.stdout.write(JSON.stringify(r));
    process.exit(0); // the health timer and sockets would keep the process alive
  });
else main();
