/** Activation: wires the core into VS Code. No business logic here (see src/core). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { toStvError } from '../core/errors';
import { attachedLocation } from '../core/launch/mode';
import { PROVIDER_IDS } from '../core/providers/types';
import type { Settings, SettingProblem } from '../core/settings/schema';
import { AdapterManager } from './adapterManager';
import type { SceneToVideoApi } from './api';
import { SceneCodeLensProvider } from './codeLens';
import { registerCommands } from './commandRegistry';
import { registerTimelineDiagnostics } from './diagnostics';
import { setDocsRoot } from './docs';
import { registerTimelineEditing } from './timelineEditing';
import { log } from './log';
import { openEditors } from './openEditors';
import type { PanelDeps } from './panel';
import { ProviderHub } from './providerHub';
import { RenderController } from './render';
import { openTimelineEditor, registerTimelineEditor } from './timelineEditor';
import { SETTING_SECTIONS, currentSettings, providerChosen, shownProvider } from './settings';
import { ProviderStatusBar } from './statusBar';

/** Settings the adapter takes on its command line or environment when the extension starts it. */
const ADAPTER_START_SETTINGS = [
  'fastVideo.modelId',
  'fastVideo.modelPath',
  'fastVideo.backend',
  'fastVideo.attentionBackend',
  'fastVideo.cpuOffload',
  'fastVideo.pythonPath',
  'fastVideo.launch',
  'fastVideo.wslDistro',
  'fastVideo.endpointUrl',
];

export function activate(ctx: vscode.ExtensionContext): SceneToVideoApi {
  setDocsRoot(path.join(ctx.extensionPath, 'docs'));
  // The full settings are read on first use (their zod model loads then), not here: see settings.ts.
  let settings: Settings | undefined;
  const readAll = (): Settings => {
    const r = currentSettings();
    locate(hub, r.settings);
    reportSettingProblems(r.problems);
    return r.settings;
  };
  const getSettings = (): Settings => (settings ??= readAll());
  const hub = new ProviderHub(ctx.secrets, getSettings);
  const status = new ProviderStatusBar(hub, shownProvider(), providerChosen());
  const adapter = new AdapterManager(ctx, hub, getSettings);
  const renders = new RenderController(hub, getSettings, adapter, () => void status.refresh(), runRecordsDir(ctx));
  const lenses = new SceneCodeLensProvider();
  ctx.subscriptions.push(
    log(),
    hub,
    status,
    adapter,
    vscode.languages.registerCodeLensProvider({ pattern: '**/*.timeline.json' }, lenses),
  );
  const diagnostics = registerTimelineDiagnostics(ctx, () => getSettings().fastVideo.fps);
  const panel: PanelDeps = { ctx, hub, renders, settings: getSettings };
  ctx.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!SETTING_SECTIONS.some((s) => e.affectsConfiguration(s))) return;
      settings = readAll();
      hub.invalidate();
      status.setActive(settings.videoProvider, providerChosen());
      status.schedule(settings.healthCheckIntervalSeconds);
      diagnostics.recheck();
      for (const p of openEditors.all) void p.pushState();
      if (adapter.isRunning() && ADAPTER_START_SETTINGS.some((k) => e.affectsConfiguration(k))) offerAdapterRestart();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      settings = currentSettings().settings;
      hub.invalidate();
      status.schedule(settings.healthCheckIntervalSeconds);
      for (const p of openEditors.all) void p.pushState();
    }),
    ...registerCommands({ ctx, hub, status, adapter, renders, settings: getSettings, panel }),
    ...registerTimelineEditing(),
    registerTimelineEditor(panel),
    registerPanelSerializer(),
    startAfterActivation(getSettings, status, adapter),
  );

  return {
    queue: renders.queue,
    settings: getSettings,
    refreshHealth: () => Promise.all(PROVIDER_IDS.map((id) => hub.check(id))).then((hs) => (status.render(), hs)),
    statusBarText: () => status.text,
    adapter: { isRunning: () => adapter.isRunning() },
    panel: () =>
      openEditors.current
        ? { timelineFile: openEditors.current.timelineFile, state: openEditors.current.shownState }
        : undefined,
  };
}

/**
 * The first health check (and an adapter set to start with VS Code) a moment after activation,
 * not inside it: the check is the first to need the settings model and the provider clients
 * (undici, ws), which load then. The status bar says "checking" meanwhile.
 */
function startAfterActivation(getSettings: () => Settings, status: ProviderStatusBar, adapter: AdapterManager) {
  const timer = setTimeout(() => {
    const s = getSettings();
    status.setActive(s.videoProvider, providerChosen());
    status.schedule(s.healthCheckIntervalSeconds);
    if (s.fastVideo.autoStart && s.videoProvider === 'fastvideo-local' && vscode.workspace.isTrusted)
      void adapter.start().catch((e: unknown) => log().warn(`auto-start: ${toStvError(e).message}`));
  }, 0);
  return new vscode.Disposable(() => clearTimeout(timer));
}

export function deactivate(): void {
  for (const p of [...openEditors.all]) p.dispose();
}

/** Run records: this workspace's storage (global storage without a folder), with retention. */
export function runRecordsDir(ctx: vscode.ExtensionContext): string {
  return path.join((ctx.storageUri ?? ctx.globalStorageUri).fsPath, 'runs');
}

/** Where an attached adapter runs, as far as settings tell without probing (a started one knows). */
function locate(hub: ProviderHub, { fastVideo: fv }: Settings): void {
  hub.location = attachedLocation(fv.endpointUrl, fv.launch, process.platform, fv.wslDistro);
}

function reportSettingProblems(problems: readonly SettingProblem[]): void {
  for (const p of problems)
    void vscode.window
      .showWarningMessage(p.message, 'Open settings')
      .then((a) => a && vscode.commands.executeCommand('workbench.action.openSettings', p.key));
}

/** Settings the adapter reads at start-up apply to the running one only after a restart. */
function offerAdapterRestart(): void {
  void vscode.window
    .showInformationMessage(
      'The FastVideo adapter started from this window still runs with the previous settings.',
      'Restart adapter',
    )
    .then((p) => p && vscode.commands.executeCommand('sceneToVideo.startAdapter', { restart: true }));
}

/**
 * A scene panel from before the timeline editor (restored after an update) becomes the editor of
 * the timeline it showed.
 */
function registerPanelSerializer(): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer('sceneToVideo.panel', {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      const file = (state as { timelineFile?: string } | undefined)?.timelineFile;
      panel.dispose();
      if (file) await openTimelineEditor(file);
    },
  });
}
