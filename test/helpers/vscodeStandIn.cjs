// A stand-in for the \`vscode\` module, for running the extension outside VS Code: every property is
// another stand-in (a class for capitalised names), calls and \`new\` answer stand-ins, settings
// answer their defaults. Enough for activation, which only registers things. Used by
// test/helpers/activationProbe.cjs and bench/activation_bench.cjs.
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

const NAMES = (
  'workspace window commands languages env extensions l10n Uri Disposable EventEmitter Range Position ' +
  'Selection CodeLens CodeAction CodeActionKind Diagnostic DiagnosticSeverity CompletionItem ' +
  'CompletionItemKind ConfigurationTarget ViewColumn ProgressLocation WorkspaceEdit TabInputCustom ' +
  'TabInputWebview ThemeColor ThemeIcon MarkdownString StatusBarAlignment TextEditorRevealType FileType'
).split(' ');

/** From now on, `require('vscode')` in this process answers the stand-in. */
function installVscodeStandIn() {
  const vscode = new Proxy({}, { get: (t, k) => (k in t ? t[k] : (t[k] = standIn(`vscode.${String(k)}`))) });
  // A bundle copies the module's own names once (esbuild's __toESM), so the names the extension
  // uses must exist up front; any other name is made when first read.
  for (const name of NAMES) void vscode[name];
  const load = Module._load;
  Module._load = function (request, ...rest) {
    return request === 'vscode' ? vscode : load.call(this, request, ...rest);
  };
}

module.exports = { standIn, installVscodeStandIn };
