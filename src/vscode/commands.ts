/**
 * The extension's commands: one typed map from command id to handler, registered in one loop.
 * Handlers that need more than a few lines (the provider and cancel pickers, the token prompt) are
 * named functions below, so activate() only wires objects together.
 */
import * as vscode from 'vscode';
import type { ProviderId } from '../core/providers/types';
import { PROVIDER_IDS } from '../core/providers/types';
import { listRunRecords, RUN_RECORDS_KEPT } from '../core/render/telemetry';
import type { Settings } from '../core/settings/schema';
import type { AdapterManager } from './adapterManager';
import type { CommandId } from './commandIds';
import { openDocumentationCommand } from './docs';
import { exportLocalGenSettingsCommand, importGemDirectCommand, importLocalGenSettingsCommand } from './importCommands';
import { generateKeyframeCommand } from './keyframeVariants';
import { log } from './log';
import { newTimelineCommand } from './newTimeline';
import { openSampleCommand, setupAdapterCommand } from './onboarding';
import type { PanelDeps } from './panel';
import { openTimelineEditor } from './timelineEditor';
import { TOKEN_KEY, type ProviderHub } from './providerHub';
import { keepPickerOpen } from './quickPick';
import type { RenderController } from './render';
import { upgradeTimelineCommand } from './upgradeCommand';
import { assembleTimelineCommand } from './assembleCommand';
import { PROVIDER_LABEL, providerPickItem } from './statusFormat';
import type { ProviderStatusBar } from './statusBar';
import { loadResolved, pickScene, timelineFromArgument } from './timelines';
import { updateSetting } from './settings';

export interface CommandDeps {
  ctx: vscode.ExtensionContext;
  hub: ProviderHub;
  status: ProviderStatusBar;
  adapter: AdapterManager;
  renders: RenderController;
  settings: () => Settings;
  panel: PanelDeps;
}

export type CommandHandler = (...args: unknown[]) => unknown;

/** The handler of every contributed command (the Record type makes the compiler check the set). */
export function commandHandlers(d: CommandDeps): Record<CommandId, CommandHandler> {
  const renderWith = (provider?: ProviderId) => async (file?: unknown, sceneId?: unknown) => {
    const t = await target(d.settings(), file, sceneId);
    if (t) await d.renders.render(t.file, [t.sceneId], provider ? { provider } : {});
  };
  return {
    'sceneToVideo.renderScene': renderWith(),
    'sceneToVideo.renderSceneFastVideo': renderWith('fastvideo-local'),
    'sceneToVideo.renderSceneComfyUI': renderWith('comfyui-local'),
    'sceneToVideo.renderAll': async (file?: unknown) => {
      const f = await timelineFromArgument(file);
      if (f) await d.renders.render(f, 'all');
    },
    'sceneToVideo.cancelRender': () => cancelRender(d.renders),
    'sceneToVideo.switchProvider': () => switchProvider(d.hub, d.settings),
    'sceneToVideo.openPanel': async (uri?: unknown) => {
      const f = await timelineFromArgument(uri);
      if (f) await openTimelineEditor(f);
    },
    'sceneToVideo.startAdapter': (opts?: unknown) => startAdapter(d, opts),
    'sceneToVideo.stopAdapter': () => {
      if (!d.adapter.stop())
        void vscode.window.showInformationMessage(
          'No adapter was started from this window (an adapter started elsewhere keeps running).',
        );
    },
    'sceneToVideo.checkHealth': async () => {
      const hs = await Promise.all(PROVIDER_IDS.map((id) => d.hub.check(id)));
      d.status.render();
      const lines = hs.map((h) => `${PROVIDER_LABEL[h.provider]}: ${h.state} — ${h.summary}`);
      for (const l of lines) log().info(l);
      void vscode.window.showInformationMessage(lines.join(' · '), 'Show log').then((p) => p && log().show());
      return hs;
    },
    'sceneToVideo.importGemDirect': importGemDirectCommand,
    'sceneToVideo.upgradeTimeline': upgradeTimelineCommand,
    'sceneToVideo.assembleTimeline': (file?: unknown) => assembleTimelineCommand(d.ctx.extensionPath, d.settings, file),
    'sceneToVideo.importLocalGenSettings': importLocalGenSettingsCommand,
    'sceneToVideo.exportLocalGenSettings': () => exportLocalGenSettingsCommand(d.settings()),
    'sceneToVideo.showLog': () => log().show(),
    'sceneToVideo.openSample': () => openSampleCommand(d.ctx),
    'sceneToVideo.setupAdapter': () => setupAdapterCommand(d.ctx),
    'sceneToVideo.openDocs': openDocumentationCommand,
    'sceneToVideo.setAdapterToken': () => setAdapterToken(d),
    'sceneToVideo.newTimeline': newTimelineCommand,
    'sceneToVideo.openRunRecords': () => openRunRecords(d.renders.runRecordsDir),
    'sceneToVideo.generateKeyframe': (file?: unknown, clip?: unknown, which?: unknown) =>
      generateKeyframeCommand(d, file, clip, which),
  };
}

/** Resolves (timeline, scene) from code-lens arguments or quick picks. */
async function target(
  settings: Settings,
  file?: unknown,
  sceneId?: unknown,
): Promise<{ file: string; sceneId: string } | undefined> {
  const f = await timelineFromArgument(file);
  if (!f) return undefined;
  if (typeof sceneId === 'string') return { file: f, sceneId };
  const { scenes } = await loadResolved(f, settings);
  const s = await pickScene(scenes);
  return s ? { file: f, sceneId: s.key ?? s.id } : undefined;
}

async function cancelRender(renders: RenderController): Promise<void> {
  const active = renders.queue.jobs().filter((j) => j.state === 'queued' || j.state === 'running');
  if (active.length === 0) return void vscode.window.showInformationMessage('Nothing is rendering.');
  if (active.length === 1) return renders.queue.cancel(active[0]?.jobId ?? '');
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Cancel all', jobId: '*' },
      ...active.map((j) => ({ label: j.sceneId, description: `${j.state} · ${j.providerId}`, jobId: j.jobId })),
    ],
    { placeHolder: 'Cancel which render?', ignoreFocusOut: keepPickerOpen() },
  );
  if (pick?.jobId === '*') renders.queue.cancelAll();
  else if (pick) renders.queue.cancel(pick.jobId);
}

async function switchProvider(hub: ProviderHub, settings: () => Settings): Promise<void> {
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
    qp.items = PROVIDER_IDS.map((id) => ({
      ...providerPickItem(id, hub.lastHealth(id), settings().videoProvider),
      id,
    }));
    const keep = qp.items.find((i) => i.id === active);
    if (keep) qp.activeItems = [keep];
  };
  fill();
  qp.busy = true;
  const checks = Promise.all(PROVIDER_IDS.map((id) => hub.check(id).then(() => fill()))).finally(
    () => (qp.busy = false),
  );
  const picked = await new Promise<ProviderId | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]?.id));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  open = false;
  qp.dispose();
  void checks;
  if (!picked) return;
  await updateSetting('sceneToVideo', 'videoProvider', picked);
}

async function startAdapter(d: CommandDeps, opts?: unknown): Promise<void> {
  const restart = typeof opts === 'object' && opts !== null && (opts as { restart?: unknown }).restart === true;
  const how = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: restart ? 'Restarting the FastVideo adapter…' : 'Starting the FastVideo adapter…',
      cancellable: true,
    },
    (_p, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return d.adapter.start({ signal: abort.signal, restart });
    },
  );
  const h = d.hub.lastHealth('fastvideo-local');
  void vscode.window.showInformationMessage(
    `FastVideo adapter ${how === 'attached' ? 'already running: attached' : 'started'} (${h?.summary ?? 'up'}).`,
  );
}

async function setAdapterToken(d: CommandDeps): Promise<void> {
  const token = await vscode.window.showInputBox({
    title: 'FastVideo adapter token',
    prompt:
      "The bearer token the adapter was started with (STV_ADAPTER_TOKEN). Kept in VS Code's SecretStorage. Leave empty to remove it.",
    password: true,
    ignoreFocusOut: true,
  });
  if (token === undefined) return;
  if (token) await d.ctx.secrets.store(TOKEN_KEY, token);
  else await d.ctx.secrets.delete(TOKEN_KEY);
  d.hub.invalidate();
  void d.status.refresh();
}

/** A quick pick of the run records (newest first); the picked one opens in an editor. */
async function openRunRecords(dir: string | undefined): Promise<void> {
  const records = dir ? await listRunRecords(dir) : [];
  if (records.length === 0)
    return void vscode.window.showInformationMessage(
      'No run records yet: each render run writes one (the newest ' + RUN_RECORDS_KEPT + ' per provider are kept).',
    );
  const pick = await vscode.window.showQuickPick(
    records.map((r) => ({
      label: `${new Date(r.startedAt).toLocaleString()} · ${PROVIDER_LABEL[r.provider as ProviderId] ?? r.provider}`,
      description: `${r.succeeded} done, ${r.failed} failed, ${r.cancelled} cancelled`,
      detail: r.scenes.join(', '),
      file: r.file,
    })),
    {
      placeHolder: `Run records (the newest ${RUN_RECORDS_KEPT} per provider are kept)`,
      matchOnDetail: true,
      ignoreFocusOut: keepPickerOpen(),
    },
  );
  if (pick) await vscode.window.showTextDocument(vscode.Uri.file(pick.file));
}
