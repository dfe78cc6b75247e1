// Activates the extension as tsc compiles it (out/src/vscode/extension.js) against a stand-in for
// the `vscode` module, in a process of its own, and prints which of our modules and libraries were
// loaded: after activate() returned, and after the first full read of the settings. Used by
// test/unit/activation.test.ts; a stand-in that answers anything is enough, since activation only
// registers things.
const path = require('node:path');
const { installVscodeStandIn, standIn } = require('./vscodeStandIn.cjs');

const root = path.resolve(__dirname, '../..');
installVscodeStandIn();

const loaded = () =>
  Object.keys(require.cache)
    .filter((f) => path.dirname(f) !== __dirname)
    .map((f) => path.relative(root, f).split(path.sep).join('/'));

const ext = require(path.join(root, 'out/src/vscode/extension.js'));
const api = ext.activate(standIn('context'));
const atActivation = loaded();
const settings = api.settings();
const afterSettings = loaded();
process.stdout.write(
  JSON.stringify({ api: Object.keys(api).sort(), provider: settings.videoProvider, atActivation, afterSettings }),
);
// Before the first health check's timer: it would reach for the network.
process.exit(0);
