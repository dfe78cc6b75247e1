/** Rendering from VS Code: the queue, progress notifications with cancellation, error actions. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StvError, toStvError } from '../core/errors';
import { isLoopbackUrl } from '../core/net/loopback';
import { outputDirFor } from '../core/providers/outputDir';
import { FINAL_JOB_STATES, type ProviderId } from '../core/providers/types';
import { RenderQueue, type RenderJobSnapshot } from '../core/render/queue';
import { KEYFRAME_FAITHFUL_MODEL } from '../core/settings/models';
import type { Settings } from '../core/settings/schema';
import type { ResolvedScene } from '../core/timeline/resolve';
import { offersFaithful } from '../protocol/faithful';
import type { AdapterManager } from './adapterManager';
import { openDocAt } from './docs';
import { actionsFor, type ErrorAction } from './errorActions';
import { log } from './log';
import type { ProviderHub } from './providerHub';
import { forExtension } from './setupSteps';
import { PROVIDER_LABEL } from './statusFormat';
import { loadResolved } from './timelines';
import { updateSetting } from './settings';

export class RenderController {
  readonly queue: RenderQueue;

  constructor(
    private readonly hub: ProviderHub,
    private readonly settings: () => Settings,
    private readonly adapter: AdapterManager,
    private readonly afterRender: () => void,
    /** Where run records go: the extension's storage, never the workspace. */
    readonly runRecordsDir?: string,
  ) {
    this.queue = new RenderQueue({
      getProvider: (id) => this.hub.get(id),
      outputRootFor: (timelineFile, id) => RenderController.outputRoot(timelineFile, id, this.settings()),
      ...(runRecordsDir ? { artifactsRoot: runRecordsDir } : {}),
    });
    this.queue.onDidChange((j) => {
      if (FINAL_JOB_STATES.has(j.state)) {
        log().info(
          `render ${j.sceneId} (${j.providerId}, seed ${j.seed}): ${j.state}${j.error ? ` — ${j.error.code}: ${j.error.message}` : ''}${j.artifact ? ` → ${j.artifact.videoPath}` : ''}`,
        );
        this.afterRender();
      }
    });
  }

  static outputRoot(timelineFile: string, id: ProviderId, s: Settings): string {
    return path.resolve(path.dirname(timelineFile), outputDirFor(id, s));
  }

  providerFor(scene: ResolvedScene, explicit?: ProviderId): ProviderId {
    return explicit ?? scene.provider ?? this.settings().videoProvider;
  }

  /** Queues the scenes and follows them under one cancellable progress notification. */
  async render(
    timelineFile: string,
    sceneIds: string[] | 'all',
    opts: { provider?: ProviderId; seed?: number; quiet?: boolean } = {},
  ): Promise<RenderJobSnapshot[]> {
    const { scenes } = await loadResolved(timelineFile, this.settings());
    // A scene id renders all of its shots; "scene/shot" renders one.
    const chosen =
      sceneIds === 'all' ? scenes : scenes.filter((s) => sceneIds.includes(s.id) || sceneIds.includes(s.key ?? s.id));
    if (chosen.length === 0)
      throw new StvError(
        'SCENE_NOT_FOUND',
        `No scene ${Array.isArray(sceneIds) ? sceneIds.join(', ') : ''} in ${path.basename(timelineFile)}.`,
      );
    const providers = new Set(chosen.map((s) => this.providerFor(s, opts.provider)));
    if (providers.has('fastvideo-local') && !(await this.ensureAdapter())) return [];
    const jobs = chosen.map((s) =>
      this.queue.enqueue({
        timelineFile,
        scene: s,
        providerId: this.providerFor(s, opts.provider),
        ...(opts.seed !== undefined ? { seedOverride: opts.seed } : {}),
      }),
    );
    const title =
      chosen.length === 1
        ? `Rendering ${chosen[0]?.title} with ${PROVIDER_LABEL[jobs[0]?.providerId ?? 'fastvideo-local']}`
        : `Rendering ${chosen.length} scenes`;
    const results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => jobs.forEach((j) => this.queue.cancel(j.jobId)));
        let reported = 0;
        const unsubscribe = this.queue.onDidChange((j) => {
          if (!jobs.some((x) => x.jobId === j.jobId)) return;
          const total =
            jobs.reduce(
              (acc, x) => acc + (this.queue.jobs().find((q) => q.jobId === x.jobId)?.progress?.fraction ?? 0),
              0,
            ) / jobs.length;
          const pct = Math.round(total * 100);
          const eta = j.progress?.etaMs ? `, about ${Math.ceil(j.progress.etaMs / 1000)} s left` : '';
          progress.report({
            increment: Math.max(0, pct - reported),
            message: `${j.sceneId}: ${j.state === 'running' ? (j.progress?.stage ?? 'running') : j.state}${eta}`,
          });
          reported = Math.max(reported, pct);
        });
        try {
          return await Promise.all(jobs.map((j) => this.queue.whenDone(j.jobId)));
        } finally {
          unsubscribe();
        }
      },
    );
    if (!opts.quiet) this.announce(results);
    return results;
  }

  /**
   * Before a FastVideo render: an adapter that answers, or one notification with every way to get
   * one (set up or start it here, preview or GPU, or point to one that runs); the render then goes
   * on by itself. False when the user picked none: nothing is queued and nothing is an error.
   * Other failures (a remote URL, a token, an untrusted workspace) go on to the render's own error.
   */
  async ensureAdapter(): Promise<boolean> {
    const s = this.settings().fastVideo;
    const h = await this.hub.check('fastvideo-local');
    if (h.state !== 'down' || this.adapter.isRunning()) return true;
    if (s.autoStart) {
      await this.adapter.start().catch((e: unknown) => log().warn(`auto-start failed: ${toStvError(e).message}`));
      return true;
    }
    if (!vscode.workspace.isTrusted || h.error?.code !== 'UNREACHABLE' || !isLoopbackUrl(s.endpointUrl)) return true;
    const env = this.adapter.findEnvironment();
    const [preview, gpu] = env
      ? ['Start (preview, no GPU)', 'Start (GPU)']
      : ['Set up (preview, no GPU)', 'Set up (GPU)'];
    const running = 'Use a running adapter (URL)';
    const message = env
      ? `No FastVideo adapter answers at ${s.endpointUrl}. Start one here and the render goes on by itself, or use one that runs elsewhere.`
      : `No FastVideo adapter answers at ${s.endpointUrl}, and none is set up on this machine. Set one up (once, a few minutes) and the render goes on by itself, or use one that runs elsewhere.`;
    const pick = await vscode.window.showInformationMessage(message, preview, gpu, running);
    if (!pick) {
      log().info('render not started: no FastVideo adapter answers and none was chosen');
      return false;
    }
    if (pick === running) return this.useRunningAdapter(s.endpointUrl);
    const kind = pick === preview ? 'preview' : 'gpu';
    const backend = kind === 'gpu' ? 'fastvideo' : 'preview';
    if (!env) {
      await this.adapter.setUp(kind);
      // The set-up saved fastVideo.backend; let that change land before the start, or it would read
      // as a change to a running adapter ("restart to apply").
      for (let i = 0; i < 60 && this.settings().fastVideo.backend !== backend; i++)
        await new Promise((r) => setTimeout(r, 50));
    }
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Starting the FastVideo adapter…', cancellable: true },
      (_p, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return this.adapter.start({ signal: abort.signal, backend });
      },
    );
    return true;
  }

  /** Asks for the URL of an adapter that runs, saves it as fastVideo.endpointUrl and checks it. */
  private async useRunningAdapter(current: string): Promise<boolean> {
    const url = await vscode.window.showInputBox({
      title: 'FastVideo adapter URL',
      prompt:
        'The address of an adapter that runs (python -m stv_adapter serve), e.g. http://127.0.0.1:8055 or http://gpu-box:8055',
      value: current,
      ignoreFocusOut: true,
      validateInput: (v) =>
        /^https?:\/\/[^\s/]+/.test(v.trim()) && URL.canParse(v.trim())
          ? undefined
          : 'An http:// or https:// address, e.g. http://127.0.0.1:8055',
    });
    if (!url) return false;
    const value = url.trim().replace(/\/+$/, '');
    await updateSetting('fastVideo', 'endpointUrl', value);
    // The settings snapshot follows the change event; wait for it so the check asks the new address.
    for (let i = 0; i < 60 && this.settings().fastVideo.endpointUrl !== value; i++)
      await new Promise((r) => setTimeout(r, 50));
    this.hub.invalidate();
    const h = await this.hub.check('fastvideo-local');
    if (h.state === 'down' && h.error?.code === 'UNREACHABLE')
      throw new StvError(
        'UNREACHABLE',
        `Nothing answers at ${value} either.`,
        'Check the address and that the adapter runs there (an adapter on another machine listens on its network address and needs a token).',
      );
    return true;
  }

  /** Switches fastVideo.modelId to the model that follows keyframes, and says when it takes effect. */
  async useKeyframeFaithfulModel(): Promise<void> {
    await updateSetting('fastVideo', 'modelId', KEYFRAME_FAITHFUL_MODEL);
    // An adapter started from this window gets a restart prompt from the settings change.
    if (this.adapter.isRunning()) return;
    const up = this.hub.lastHealth('fastvideo-local')?.state;
    const next =
      up === 'ok' || up === 'degraded'
        ? 'The adapter at fastVideo.endpointUrl was started elsewhere: restart it there with this model.'
        : 'It is loaded when the adapter starts.';
    void vscode.window.showInformationMessage(
      `fastVideo.modelId is now ${KEYFRAME_FAITHFUL_MODEL} (follows keyframes; 50 steps, slower). ${next}`,
    );
  }

  private announce(results: RenderJobSnapshot[]): void {
    for (const r of results) {
      if (r.state === 'succeeded' && r.artifact) {
        const video = r.artifact.videoPath;
        const warnings = r.artifact.warnings.filter((w) => w.code === 'KEYFRAME_IGNORED' || w.code === 'SIZE_CHANGED');
        const faithful = warnings.some((w) => offersFaithful(w.code, r.providerId))
          ? ['Use keyframe-faithful model']
          : [];
        const text = `Rendered ${r.sceneId} (seed ${r.seed}).${warnings.map((w) => ` ${w.message}`).join('')}`;
        const actions = ['Open', 'Reveal', ...faithful];
        void (
          warnings.length
            ? vscode.window.showWarningMessage(text, ...actions)
            : vscode.window.showInformationMessage(text, ...actions)
        ).then((pick) => {
          if (pick === 'Open') void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(video));
          if (pick === 'Reveal') void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(video));
          if (pick === 'Use keyframe-faithful model') void this.useKeyframeFaithfulModel();
        });
      } else if (r.state === 'failed' && r.error) {
        void showError(new StvError(r.error.code, r.error.message, r.error.hint), r.providerId);
      }
    }
  }
}

/** An error notification with the actions that fix it. */
export async function showError(e: unknown, providerId = 'fastvideo-local'): Promise<void> {
  const err = toStvError(e);
  if (err.code === 'CANCELLED') return;
  log().error(`${err.code}: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
  const actions = actionsFor(err.code, providerId);
  const pick = await vscode.window.showErrorMessage(
    forExtension(`${err.message}${err.hint ? ` ${err.hint}` : ''}`),
    ...actions,
  );
  if (pick) await runErrorAction(pick, err);
}

/** What each error action does; the notification and the scene panel share it. */
export async function runErrorAction(action: ErrorAction, err: StvError): Promise<void> {
  switch (action) {
    case 'Start adapter':
      await vscode.commands.executeCommand('sceneToVideo.startAdapter');
      break;
    case 'Restart adapter':
      await vscode.commands.executeCommand('sceneToVideo.startAdapter', { restart: true });
      break;
    case 'Open settings':
      await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:scene-to-video.scene-to-video');
      break;
    case 'Show log':
      log().show();
      break;
    case 'Switch provider':
      await vscode.commands.executeCommand('sceneToVideo.switchProvider');
      break;
    case 'Set token':
      await vscode.commands.executeCommand('sceneToVideo.setAdapterToken');
      break;
    case 'Manage trust':
      await vscode.commands.executeCommand('workbench.trust.manage');
      break;
    case 'Troubleshooting':
      await openTroubleshooting(err);
      break;
  }
}

/** Opens the bundled docs/troubleshooting.md at the error code's section. */
function openTroubleshooting(err: StvError): Promise<void> {
  return openDocAt('troubleshooting.md', `### ${err.docsAnchor.split('#')[1] ?? ''}`);
}
