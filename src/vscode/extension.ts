/** Activation: wires the core into VS Code. No business logic here (see src/core). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { toStvError } from '../core/errors';
import { attachedLocation } from '../core/launch/mode';
import { PROVIDER_IDS, type ProviderId } from '../core/providers/types';
import { AdapterManager } from './adapterTerminal';
import type { SceneToVideoApi } from './api';
import { SceneCodeLensProvider } from './codeLens';
import { registerTimelineDiagnostics } from './diagnostics';
import { openDocumentationCommand, setDocsRoot } from './docs';
import { exportLocalGenSettingsCommand, importGemDirectCommand, importLocalGenSettingsCommand } from './importCommands';
import { upgradeTimelineCommand } from './upgradeCommand';
import { assembleTimelineCommand } from './assembleCommand';
import { log } from './log';
import { openSampleCommand, setupAdapterCommand } from './onboarding';
import { ScenePanel } from './panel';
import { ProviderHub, TOKEN_KEY } from './providers';
import { keepPickerOpen } from './quickPick';
import { RenderController, showError } from './render';
import { SETTING_SECTIONS, currentSettings } from './settings';
import { PROVIDER_LABEL, providerPickItem } from './statusFormat';
import { ProviderStatusBar } from './statusBar';
import { loadResolved, pickScene, pickTimeline } from './timelines';

/** Settings the adapter takes on its command line or environment when the extension starts it. */
const ADAPTER_START_SETTINGS = ['fastVideo.modelId', 'fastVideo.modelPath', 'fastVideo.backend', 'fastVideo.attentionBackend', 'fastVideo.cpuOffload', 'fastVideo.pythonPath', 'fastVideo.launch', 'fastVideo.wslDistro', 'fastVideo.endpointUrl'];

export function activate(ctx: vscode.ExtensionContext): SceneToVideoApi {
  setDocsRoot(path.join(ctx.extensionPath, 'docs'));
  let settings = currentSettings().settings;
  const getSettings = () => settings;
  const hub = new ProviderHub(ctx.secrets, getSettings);
  // Where an attached adapter runs, as far as settings tell without probing (a started one knows).
  const locate = () => {
    const fv = settings.fastVideo;
    hub.location = attachedLocation(fv.endpointUrl, fv.launch, process.platform, fv.wslDistro);
  };
  locate();
  const status = new ProviderStatusBar(hub, settings.videoProvider);
  const adapter = new AdapterManager(ctx, hub, getSettings);
  const renders = new RenderController(hub, getSettings, adapter, () => void status.refresh());
  const lenses = new SceneCodeLensProvider();
  ctx.subscriptions.push(log(), hub, status, adapter, vscode.languages.registerCodeLensProvider({ pattern: '**/*.timeline.json' }, lenses));
  const diagnostics = registerTimelineDiagnostics(ctx, () => settings.fastVideo.fps);
  const panelDeps = { ctx, hub, renders, settings: getSettings };

  const reportSettingProblems = () => {
    const { problems } = currentSettings();
    for (const p of problems) void vscode.window.showWarningMessage(p.message, 'Open settings').then((a) => a && vscode.commands.executeCommand('workbench.action.openSettings', p.key));
  };
  reportSettingProblems();
  ctx.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!SETTING_SECTIONS.some((s) => e.affectsConfiguration(s))) return;
      settings = currentSettings().settings;
      locate();
      hub.invalidate();
      status.setActive(settings.videoProvider);
      status.schedule(settings.healthCheckIntervalSeconds);
      reportSettingProblems();
      diagnostics.recheck();
      void ScenePanel.current?.pushState();
      // Settings the adapter reads at start-up apply to the running one only after a restart.
      if (adapter.isRunning() && ADAPTER_START_SETTINGS.some((k) => e.affectsConfiguration(k)))
        void vscode.window.showInformationMessage('The FastVideo adapter started from this window still runs with the previous settings.', 'Restart adapter').then((p) => p && vscode.commands.executeCommand('sceneToVideo.startAdapter', { restart: true }));
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      settings = currentSettings().settings;
      hub.invalidate();
      status.schedule(settings.healthCheckIntervalSeconds);
      void ScenePanel.current?.pushState();
    }),
  );
  status.schedule(settings.healthCheckIntervalSeconds);

  /** Resolves (timeline, scene) from code-lens arguments or quick picks. */
  const target = async (file?: unknown, sceneId?: unknown): Promise<{ file: string; sceneId: string } | undefined> => {
    const f = typeof file === 'string' ? file : await pickTimeline();
    if (!f) return undefined;
    if (typeof sceneId === 'string') return { file: f, sceneId };
    const { scenes } = await loadResolved(f, settings);
    const s = await pickScene(scenes);
    return s ? { file: f, sceneId: s.key ?? s.id } : undefined;
  };
  const renderWith = (provider?: ProviderId) => async (file?: unknown, sceneId?: unknown) => {
    const t = await target(file, sceneId);
    if (t) await renders.render(t.file, [t.sceneId], provider ? { provider } : {});
  };
  const command = (id: string, fn: (...args: unknown[]) => unknown) =>
    ctx.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (e) {
          // Report and return: the command must not wait for the user to click a button.
          void showError(e, settings.videoProvider);
          return undefined;
        }
      }),
    );

  command('sceneToVideo.renderScene', renderWith());
  command('sceneToVideo.renderSceneFastVideo', renderWith('fastvideo-local'));
  command('sceneToVideo.renderSceneComfyUI', renderWith('comfyui-local'));
  command('sceneToVideo.renderAll', async (file?: unknown) => {
    const f = typeof file === 'string' ? file : await pickTimeline();
    if (f) await renders.render(f, 'all');
  });
  command('sceneToVideo.cancelRender', async () => {
    const active = renders.queue.jobs().filter((j) => j.state === 'queued' || j.state === 'running');
    if (active.length === 0) return void vscode.window.showInformationMessage('Nothing is rendering.');
    if (active.length === 1) return renders.queue.cancel(active[0]?.jobId ?? '');
    const pick = await vscode.window.showQuickPick([{ label: 'Cancel all', jobId: '*' }, ...active.map((j) => ({ label: j.sceneId, description: `${j.state} · ${j.providerId}`, jobId: j.jobId }))], { placeHolder: 'Cancel which render?', ignoreFocusOut: keepPickerOpen() });
    if (pick?.jobId === '*') renders.queue.cancelAll();
    else if (pick) renders.queue.cancel(pick.jobId);
  });
  command('sceneToVideo.switchProvider', async () => {
    // Shown at once with what is known; each row updates when its fresh health check answers
    // (a server that does not answer must not hold the picker up for the check's timeout).
    const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { id: ProviderId }>();
    qp.placeholder = 'Render with which provider?';
    qp.matchOnDescription = true;
    qp.ignoreFocusOut = keepPickerOpen();
    let open = true;
    const fill = () => {
      if (!open) return;
      const active = qp.activeItems[0]?.id;
      qp.items = PROVIDER_IDS.map((id) => ({ ...providerPickItem(id, hub.lastHealth(id), settings.videoProvider), id }));
      const keep = qp.items.find((i) => i.id === active);
      if (keep) qp.activeItems = [keep];
    };
    fill();
    qp.busy = true;
    const checks = Promise.all(PROVIDER_IDS.map((id) => hub.check(id).then(() => fill()))).finally(() => (qp.busy = false));
    const picked = await new Promise<ProviderId | undefined>((resolve) => {
      qp.onDidAccept(() => resolve(qp.selectedItems[0]?.id));
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
    open = false;
    qp.dispose();
    void checks;
    if (!picked) return;
    await vscode.workspace.getConfiguration('sceneToVideo').update('videoProvider', picked, vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
  });
  command('sceneToVideo.openPanel', async (uri?: unknown) => {
    const f = uri instanceof vscode.Uri ? uri.fsPath : typeof uri === 'string' ? uri : await pickTimeline();
    if (f) ScenePanel.show(panelDeps, f);
  });
  command('sceneToVideo.startAdapter', async (opts?: unknown) => {
    const restart = typeof opts === 'object' && opts !== null && (opts as { restart?: unknown }).restart === true;
    const how = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: restart ? 'Restarting the FastVideo adapter…' : 'Starting the FastVideo adapter…', cancellable: true }, (_p, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return adapter.start({ signal: abort.signal, restart });
    });
    const h = hub.lastHealth('fastvideo-local');
    void vscode.window.showInformationMessage(`FastVideo adapter ${how === 'attached' ? 'already running: attached' : 'started'} (${h?.summary ?? 'up'}).`);
  });
  command('sceneToVideo.stopAdapter', () => {
    if (!adapter.stop()) void vscode.window.showInformationMessage('No adapter was started from this window (an adapter started elsewhere keeps running).');
  });
  command('sceneToVideo.checkHealth', async () => {
    const hs = await Promise.all(PROVIDER_IDS.map((id) => hub.check(id)));
    status.render();
    const lines = hs.map((h) => `${PROVIDER_LABEL[h.provider]}: ${h.state} — ${h.summary}`);
    for (const l of lines) log().info(l);
    void vscode.window.showInformationMessage(lines.join(' · '), 'Show log').then((p) => p && log().show());
    return hs;
  });
  command('sceneToVideo.importGemDirect', importGemDirectCommand);
  command('sceneToVideo.upgradeTimeline', upgradeTimelineCommand);
  command('sceneToVideo.assembleTimeline', (file?: unknown) => assembleTimelineCommand(ctx.extensionPath, getSettings, file));
  command('sceneToVideo.importLocalGenSettings', importLocalGenSettingsCommand);
  command('sceneToVideo.exportLocalGenSettings', () => exportLocalGenSettingsCommand(settings));
  command('sceneToVideo.showLog', () => log().show());
  command('sceneToVideo.openSample', () => openSampleCommand(ctx));
  command('sceneToVideo.setupAdapter', () => setupAdapterCommand(ctx));
  command('sceneToVideo.openDocs', openDocumentationCommand);
  command('sceneToVideo.setAdapterToken', async () => {
    const token = await vscode.window.showInputBox({ title: 'FastVideo adapter token', prompt: 'The bearer token the adapter was started with (STV_ADAPTER_TOKEN). Kept in VS Code\'s SecretStorage. Leave empty to remove it.', password: true, ignoreFocusOut: true });
    if (token === undefined) return;
    if (token) await ctx.secrets.store(TOKEN_KEY, token);
    else await ctx.secrets.delete(TOKEN_KEY);
    hub.invalidate();
    void status.refresh();
  });

  ctx.subscriptions.push(vscode.window.registerWebviewPanelSerializer('sceneToVideo.panel', {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      const file = (state as { timelineFile?: string } | undefined)?.timelineFile;
      if (!file) return panel.dispose();
      panel.webview.options = ScenePanel.options(ctx, file);
      ScenePanel.current = new ScenePanel(panelDeps, panel, file);
    },
  }));

  if (settings.fastVideo.autoStart && settings.videoProvider === 'fastvideo-local' && vscode.workspace.isTrusted)
    void adapter.start().catch((e: unknown) => log().warn(`auto-start: ${toStvError(e).message}`));

  return {
    queue: renders.queue,
    settings: getSettings,
    refreshHealth: () => Promise.all(PROVIDER_IDS.map((id) => hub.check(id))).then((hs) => (status.render(), hs)),
    statusBarText: () => status.text,
    adapter: { isRunning: () => adapter.isRunning() },
    panel: () => (ScenePanel.current ? { timelineFile: ScenePanel.current.timelineFile } : undefined),
  };
}

export function deactivate(): void {
  ScenePanel.current?.dispose();
}
