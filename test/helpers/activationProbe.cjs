// Activates the extension as tsc compiles it (out/src/vscode/extension.js) against a stand-in for
// the `vscode` module, in a process of its own, and prints which of our modules and libraries were
// loaded: after activate() returned, and after the first full read of the settings. Used by
// test/unit/activation.test.ts; a stand-in that answers anything is enough, since activation only
// registers things.
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

/** Anything: callable, constructible, every property another stand-in (a class for capitalised names). */
function standIn(name) {
  const own = new Map();
  return new Proxy(function () {}, {
    set: (_t, k, v) => (own.set(k, v), true),
    get(_t, k) {
      if (own.has(k)) return own.get(k);
      if (k === 'then') return undefined; // not a promise
      if (k === Symbol.toPrimitive) return () => name;
      if (k === Symbol.iterator) return function* () {};
      if (k === 'isTrusted') return true;
      if (k === 'workspaceFolders' || k === 'textDocuments') return [];
      if (k === 'get') return (_key, fallback) => fallback;
      if (k === 'inspect') return () => undefined;
      if (k === 'fsPath' || k === 'path') return path.join(root, 'out', 'activation-probe');
      if (k === 'extensionPath') return root;
      if (k === 'subscriptions') return own.get('__subs') ?? (own.set('__subs', []), own.get('__subs'));
      if (typeof k === 'string' && /^[A-Z]/.test(k)) return standInClass(k);
      return standIn(`${name}.${String(k)}`);
    },
    apply: () => standIn(`${name}()`),
    construct: () => standIn(`new ${name}`),
  });
}

function standInClass(name) {
  class StandIn {
    constructor(...args) {
      this.args = args;
    }
    get event() {
      return () => ({ dispose() {} });
    }
    fire() {}
    dispose() {}
  }
  return new Proxy(StandIn, { get: (t, k) => (k in t ? t[k] : standIn(`${name}.${String(k)}`)) });
}

const vscode = new Proxy({}, { get: (t, k) => (k in t ? t[k] : (t[k] = standIn(`vscode.${String(k)}`))) });
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'vscode' ? vscode : load.call(this, request, ...rest);
};

const loaded = () =>
  Object.keys(require.cache)
    .filter((f) => !f.endsWith('activationProbe.cjs'))
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
