/**
 * The timeline editor's host side (a custom text editor for *.timeline.json; "Open scene panel"
 * opens it too): builds PanelState from the document, validates every message from the webview,
 * and turns its edits into text edits of the document (editorIntents.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StvError, toStvError } from '../core/errors';
import type { RenderJobSnapshot } from '../core/render/queue';
import type { Settings } from '../core/settings/schema';
import { providerChosen } from './settings';
import { timelineOutline, timelineTree } from '../core/timeline/authoring';
import { resolveScenes, type ResolvedScene } from '../core/timeline/resolve';
import {
  WebviewToExtensionSchema,
  type ExtensionToWebview,
  type PanelScene,
  type PanelState,
} from '../protocol/messages';
import { applyEditorIntent, chooseKeyframe, isEditorIntent } from './editorIntents';
import { log } from './log';
import { openEditors, type OpenEditor } from './openEditors';
import { makeNonce, panelHtml } from './panelHtml';
import type { ProviderHub } from './providerHub';
import { clampOutline, extraResourceRoot, isStaleFailure, sceneNotices, toPanelJob } from './panelModel';
import { RenderController, runErrorAction, showError } from './render';
import { TakesView } from './takesView';
import { loadTimeline, sceneFallbacks } from './timelines';

export interface PanelDeps {
  ctx: vscode.ExtensionContext;
  hub: ProviderHub;
  renders: RenderController;
  settings: () => Settings;
}

/** How long the text must rest before the editor redraws from it. */
const TEXT_SETTLE_MS = 120;

export class ScenePanel implements vscode.Disposable, OpenEditor {
  private readonly subs: vscode.Disposable[] = [];
  private lastState?: PanelState;
  /** The takes of each clip, the continuity links and the Assemble button (issue 19). */
  readonly takes: TakesView;

  /** What the panel last showed (for the in-host tests). */
  get shownState(): PanelState | undefined {
    return this.lastState;
  }
  /** The last state posted, serialised: health checks every few seconds must not redraw an unchanged panel. */
  private lastPosted?: string;

  static options(
    ctx: vscode.ExtensionContext,
    timelineFile?: string,
  ): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // Only the extension and the workspace folders (or a lone timeline's folder): the webview can load nothing else.
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri);
    const extra = extraResourceRoot(
      folders.map((f) => f.fsPath),
      timelineFile,
    );
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [ctx.extensionUri, ...folders, ...(extra ? [vscode.Uri.file(extra)] : [])],
    };
  }

  constructor(
    private readonly deps: PanelDeps,
    readonly panel: vscode.WebviewPanel,
    public timelineFile: string,
    /** The timeline's text document: the editor's single source of truth. */
    readonly document?: vscode.TextDocument,
  ) {
    openEditors.all.add(this);
    openEditors.current = this;
    const w = panel.webview;
    this.takes = new TakesView({
      webview: w,
      timelineFile: () => this.timelineFile,
      settings: deps.settings,
      extensionPath: deps.ctx.extensionPath,
    });
    const asUri = (...p: string[]) => w.asWebviewUri(vscode.Uri.joinPath(deps.ctx.extensionUri, ...p)).toString();
    panel.iconPath = vscode.Uri.joinPath(deps.ctx.extensionUri, 'media', 'icon.png');
    w.html = panelHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scriptUri: asUri('dist', 'webview.js'),
      styleUri: asUri('dist', 'webview.css'),
      codiconsUri: asUri('dist', 'codicons', 'codicon.css'),
      title: 'Scenes',
    });
    this.subs.push(
      w.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
      deps.hub.onDidChangeHealth(() => void this.pushState()),
      vscode.workspace.onDidSaveTextDocument((d) => d.uri.fsPath === this.timelineFile && void this.pushState()),
      // Typing, an undo, a git checkout: the editor follows the text.
      vscode.workspace.onDidChangeTextDocument(
        (e) => e.document === document && e.contentChanges.length > 0 && this.textChanged(),
      ),
      { dispose: () => clearTimeout(this.textTimer) },
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) openEditors.current = this;
      }),
    );
    const unsubscribe = deps.renders.queue.onDidChange((j) => {
      if (j.timelineFile !== this.timelineFile) return;
      void this.post({ type: 'job', sceneId: j.shotId ? `${j.sceneId}/${j.shotId}` : j.sceneId, job: toPanelJob(j) });
      if (j.state === 'succeeded') void this.pushState();
    });
    this.subs.push({ dispose: unsubscribe });
  }

  private post(msg: ExtensionToWebview): Thenable<boolean> {
    return this.panel.webview.postMessage(msg);
  }

  private textTimer?: ReturnType<typeof setTimeout>;

  /**
   * The text changed (typing in either view, an undo, a checkout): the editor follows once the
   * changes pause for a moment, so a burst of keystrokes rebuilds the state of a large timeline once,
   * not per key.
   */
  private textChanged(): void {
    clearTimeout(this.textTimer);
    this.textTimer = setTimeout(() => void this.pushState(), TEXT_SETTLE_MS);
  }

  /** The editor's view of the document's text: its outline, whether it can be edited, whether it is empty. */
  private documentPart(): Pick<PanelState, 'outline' | 'editable' | 'empty'> {
    if (!this.document) return {};
    const text = this.document.getText();
    const tree = timelineTree(text);
    return {
      ...(tree ? { outline: clampOutline(timelineOutline(tree)) } : {}),
      editable: !!tree,
      ...(text.trim() === '' ? { empty: true } : {}),
    };
  }

  async buildState(): Promise<PanelState> {
    const s = this.deps.settings();
    const active = s.videoProvider;
    const h = this.deps.hub.lastHealth(active);
    const provider = {
      id: active,
      state: h?.state ?? 'checking',
      summary: h?.summary ?? 'checking…',
      ...(h?.followsKeyframe !== undefined ? { followsKeyframe: h.followsKeyframe } : {}),
      ...(h?.notAi ? { notAi: true } : {}),
      ...(h?.model ? { model: h.model } : {}),
      // The default provider, never picked, is "not set up" rather than failing (as in the status bar).
      ...(providerChosen() ? {} : { chosen: false }),
    };
    const r = await loadTimeline(this.timelineFile, s.fastVideo.fps);
    const doc = this.documentPart();
    if (!r.ok)
      return {
        timelineFile: this.timelineFile,
        // An empty file is not a problem to list: the editor offers to start a timeline in it.
        problems: doc.empty ? [] : r.problems.slice(0, 10).map((p) => `Line ${p.line}: ${p.message}`),
        provider,
        scenes: [],
        ...doc,
      };
    const scenes = resolveScenes(r.timeline, this.timelineFile, sceneFallbacks(s));
    const jobs = this.deps.renders.queue.jobs().filter((j) => j.timelineFile === this.timelineFile);
    const w = this.panel.webview;
    return {
      timelineFile: this.timelineFile,
      title: r.timeline.title,
      problems: [],
      ...doc,
      provider,
      // A clip's renders are not here: they are its takes (TakesView), listed once in its card.
      scenes: scenes.map((sc) => this.sceneState(sc, jobs, s, w)),
    };
  }

  /** One scene (or shot) of the panel's state: its settings, notices and latest job. */
  private sceneState(sc: ResolvedScene, jobs: RenderJobSnapshot[], s: Settings, w: vscode.Webview): PanelScene {
    const providerId = this.deps.renders.providerFor(sc);
    const last = jobs.filter((j) => j.sceneId === sc.id && j.shotId === sc.shotId).at(-1);
    const job = last && !isStaleFailure(last, this.deps.hub.lastHealth(last.providerId)) ? last : undefined;
    return {
      id: sc.key ?? sc.id,
      ...(sc.shotId ? { sceneId: sc.id, shotId: sc.shotId } : {}),
      ...(sc.endKeyframePath ? { endKeyframeUri: w.asWebviewUri(vscode.Uri.file(sc.endKeyframePath)).toString() } : {}),
      title: sc.title,
      prompt: sc.prompt,
      ...(sc.negativePrompt ? { negativePrompt: sc.negativePrompt } : {}),
      ...(sc.keyframePath ? { keyframeUri: w.asWebviewUri(vscode.Uri.file(sc.keyframePath)).toString() } : {}),
      width: sc.width,
      height: sc.height,
      numFrames: sc.numFrames,
      fps: sc.fps,
      seed: sc.seed,
      providerId,
      notices: sceneNotices({
        providerId,
        hasKeyframe: !!sc.keyframePath,
        hasEndKeyframe: !!sc.endKeyframePath,
        width: sc.width,
        height: sc.height,
        health: this.deps.hub.lastHealth(providerId),
        fastVideoModelId: s.fastVideo.modelId,
      }),
      ...(job ? { job: toPanelJob(job) } : {}),
    };
  }

  /**
   * Sends the panel's state; unless `force`, only when it changed since the last one. In order: one
   * at a time, and a burst of requests while one is being built (typing) coalesces into one more.
   */
  pushState(force = false): Promise<void> {
    if (this.queued) {
      this.queued.force ||= force;
      return this.pushing;
    }
    const next = { force };
    this.queued = next;
    this.pushing = this.pushing.then(() => {
      this.queued = undefined;
      return this.sendState(next.force);
    });
    return this.pushing;
  }

  private pushing: Promise<void> = Promise.resolve();
  private queued?: { force: boolean };

  private async sendState(force: boolean): Promise<void> {
    try {
      this.lastState = await this.buildState();
      // The takes change without the scenes changing (a choice made on the command line): they decide apart.
      void this.takes.push(force);
      if (!this.document) this.panel.title = `Scenes: ${this.lastState.title ?? path.basename(this.timelineFile)}`;
      const serialised = JSON.stringify(this.lastState);
      if (!force && serialised === this.lastPosted) return;
      this.lastPosted = serialised;
      await this.post({ type: 'state', state: this.lastState });
    } catch (e) {
      log().error(`scene panel: ${toStvError(e).message}`);
    }
  }

  /** The editor's edits so far, applied one after another. */
  private editing: Promise<void> = Promise.resolve();

  /**
   * Applies an intent once the ones before it are in the document. Each is computed from the text the
   * previous one left: VS Code refuses an edit made for an older version of the document, so a title
   * sent as the focus leaves it and a prompt typed right after would otherwise lose the prompt.
   */
  private inTurn(doc: vscode.TextDocument, m: Parameters<typeof applyEditorIntent>[1]): Promise<void> {
    const done = this.editing.then(() => applyEditorIntent(doc, m));
    this.editing = done.catch(() => undefined);
    return done;
  }

  /** Paths the webview may ask to open or reveal: only takes it was shown. */
  private knownVideo(p: string): boolean {
    return !!this.takes.shownState?.clips.some((c) => c.takes.some((t) => t.videoPath === p));
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (await this.takes.handle(raw)) return;
    const parsed = WebviewToExtensionSchema.safeParse(raw);
    if (!parsed.success) {
      log().warn(`scene panel sent an invalid message, ignored: ${JSON.stringify(raw).slice(0, 200)}`);
      return;
    }
    const m = parsed.data;
    try {
      if (isEditorIntent(m)) {
        if (!this.document) return;
        await this.inTurn(this.document, m);
        await this.post({ type: 'edited' });
        return;
      }
      switch (m.type) {
        case 'chooseKeyframe':
          if (this.document) await chooseKeyframe(this.document, m);
          break;
        case 'generateKeyframe': {
          // The command's clip key: "scene", or "scene/shot" (it refuses one that is not in the timeline).
          const clip = m.item.shotId !== undefined ? `${m.item.sceneId}/${m.item.shotId}` : m.item.sceneId;
          await vscode.commands.executeCommand('sceneToVideo.generateKeyframe', this.timelineFile, clip, m.which);
          break;
        }
        case 'showText':
          if (this.document)
            await vscode.window.showTextDocument(this.document, { viewColumn: vscode.ViewColumn.Beside });
          break;
        case 'ready':
          await this.pushState(true);
          break;
        case 'render':
          await this.deps.renders.render(this.timelineFile, [m.sceneId], m.seed !== undefined ? { seed: m.seed } : {});
          break;
        case 'renderAll':
          await this.deps.renders.render(this.timelineFile, 'all');
          break;
        case 'cancel':
          this.deps.renders.queue.cancel(m.jobId);
          break;
        case 'cancelAll':
          this.deps.renders.queue.cancelAll();
          break;
        case 'open':
          if (this.knownVideo(m.videoPath))
            await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(m.videoPath));
          break;
        case 'reveal':
          if (this.knownVideo(m.videoPath))
            await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(m.videoPath));
          break;
        case 'useKeyframeFaithfulModel':
          await this.deps.renders.useKeyframeFaithfulModel();
          break;
        case 'runCommand':
          if (m.command === 'sceneToVideo.assembleTimeline')
            await vscode.commands.executeCommand(m.command, vscode.Uri.file(this.timelineFile));
          else await vscode.commands.executeCommand(m.command);
          break;
        case 'errorAction': {
          // Only an action that a failed job of this timeline offers (the error itself comes from the queue).
          const job = this.deps.renders.queue
            .jobs()
            .find(
              (j) =>
                j.timelineFile === this.timelineFile &&
                j.error?.code === m.code &&
                toPanelJob(j).error?.actions.includes(m.action),
            );
          if (job?.error)
            await runErrorAction(m.action, new StvError(job.error.code, job.error.message, job.error.hint));
          break;
        }
      }
    } catch (e) {
      void showError(e, this.deps.settings().videoProvider);
    }
  }

  dispose(): void {
    openEditors.all.delete(this);
    if (openEditors.current === this) openEditors.current = [...openEditors.all].at(-1);
    this.subs.forEach((d) => d.dispose());
    this.takes.dispose();
    this.panel.dispose();
  }
}
