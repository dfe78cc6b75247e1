/**
 * The takes view's host side (issue 19): for each clip of the panel's timeline, its takes, which one
 * counts and its continuity link; choosing a take and setting a link go into the timeline as one
 * WorkspaceEdit (undoable, and the user's formatting is kept: core/takes/edit.ts computes the text);
 * the panel's Assemble button runs the same assembly as the "Assemble timeline" command, with its
 * progress and cancel in the panel, and opens the film when done. Every message from the webview is
 * validated, and only takes this view listed can be chosen.
 */
import * as vscode from 'vscode';
import { StvError, toStvError } from '../core/errors';
import type { Settings } from '../core/settings/schema';
import { chooseTakeInText, setContinuityInText, type EditOptions } from '../core/takes/edit';
import { timelineTakes } from '../core/takes/takes';
import { parseTimeline } from '../core/timeline/load';
import { TakesToExtensionSchema, type PanelAssembly, type TakesState, type TakesToWebview } from '../protocol/messages';
import { assembleTimeline, takeFolders, filmSummary, findFfmpeg } from './assembleCommand';
import { log } from './log';
import { replaceDocumentText } from './documentEdit';
import { clipTakesState } from './takesModel';
import { showError } from './render';
import { loadTimeline, sceneFallbacks } from './timelines';

export interface TakesViewDeps {
  webview: vscode.Webview;
  timelineFile: () => string;
  settings: () => Settings;
  extensionPath: string;
}

export class TakesView implements vscode.Disposable {
  private assembly: PanelAssembly = { state: 'idle' };
  private abort?: AbortController;
  /** The last film this view assembled: the only file "Open film" opens. */
  private film?: string;
  private lastState?: TakesState;
  private lastPosted?: string;
  private pushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: TakesViewDeps) {}

  /** What the view last showed (for the in-host tests). */
  get shownState(): TakesState | undefined {
    return this.lastState;
  }

  private post(msg: TakesToWebview): Thenable<boolean> {
    return this.deps.webview.postMessage(msg);
  }

  async buildState(): Promise<TakesState> {
    const file = this.deps.timelineFile();
    const s = this.deps.settings();
    const r = await loadTimeline(file, s.fastVideo.fps);
    if (!r.ok)
      return {
        clips: [],
        assembly: this.assembly,
        problem: 'Fix the timeline’s problems to choose takes and assemble.',
      };
    const clips = await timelineTakes(r.timeline, file, {
      ...takeFolders(r.timeline, file, s),
      fallbacks: sceneFallbacks(s),
    });
    const asUri = (p: string) => this.deps.webview.asWebviewUri(vscode.Uri.file(p)).toString();
    return { clips: clips.map((c, i) => clipTakesState(c, i, asUri)), assembly: this.assembly };
  }

  /** Sends the takes; unless `force`, only when they changed. In order: one at a time. */
  push(force = false): Promise<void> {
    this.pushing = this.pushing.then(async () => {
      try {
        this.lastState = await this.buildState();
        const serialised = JSON.stringify(this.lastState);
        if (!force && serialised === this.lastPosted) return;
        this.lastPosted = serialised;
        await this.post({ type: 'takes', takes: this.lastState });
      } catch (e) {
        log().error(`takes view: ${toStvError(e).message}`);
      }
    });
    return this.pushing;
  }

  private setAssembly(a: PanelAssembly): void {
    this.assembly = a;
    if (this.lastState) this.lastState = { ...this.lastState, assembly: a };
    void this.post({ type: 'assembly', assembly: a });
  }

  /** Handles a takes message; false when `raw` is not one (the panel handles it then). */
  async handle(raw: unknown): Promise<boolean> {
    const type = (raw as { type?: unknown } | null)?.type;
    const parsed = TakesToExtensionSchema.safeParse(raw);
    if (!parsed.success) {
      if (typeof type === 'string' && TakesToExtensionSchema.options.some((o) => o.shape.type.value === type)) {
        log().warn(`takes view: invalid message ignored: ${JSON.stringify(raw).slice(0, 200)}`);
        return true;
      }
      return false;
    }
    const m = parsed.data;
    try {
      switch (m.type) {
        case 'chooseTake':
          await this.edit((file, text, opts) => chooseTakeInText(file, text, m.clipId, m.videoPath, opts), m.clipId);
          break;
        case 'setContinuity':
          await this.edit((file, text, opts) => setContinuityInText(file, text, m.clipId, m.on, opts), m.clipId);
          break;
        case 'assemble':
          await this.assemble();
          break;
        case 'cancelAssemble':
          this.abort?.abort();
          break;
        case 'openFilm':
          if (this.film) await this.openFilm(this.film);
          break;
      }
    } catch (e) {
      void showError(e, this.deps.settings().videoProvider);
      await this.push(true); // the webview shows the choice as it is again (a checkbox it flipped, ...)
    }
    return true;
  }

  /**
   * Applies what `change` makes of the timeline's text as one WorkspaceEdit and saves, so the file on
   * disk (which the CLI and the assembly read) agrees and Undo in the editor takes it back.
   */
  private async edit(
    change: (file: string, text: string, opts: EditOptions) => Promise<{ text: string }>,
    clipId: string,
  ): Promise<void> {
    const file = this.deps.timelineFile();
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const before = doc.getText();
    const parsed = parseTimeline(before.replace(/^\uFEFF/, ''), { timelineFile: file });
    if (!parsed.ok)
      throw new StvError(
        'TIMELINE_INVALID',
        `${vscode.workspace.asRelativePath(file)} has problems; "${clipId}" was not changed.`,
        'Fix them (see the Problems panel) first.',
      );
    const s = this.deps.settings();
    let ff: ReturnType<typeof findFfmpeg> | undefined;
    const after = await change(file, before, {
      ...takeFolders(parsed.timeline, file, s),
      fallbacks: sceneFallbacks(s),
      ffmpeg: () => (ff ??= findFfmpeg(this.deps.extensionPath, s)),
    });
    if (after.text === before) return this.push(true);
    // Extracting a keyframe takes a moment: if the user typed meanwhile, their text wins.
    await replaceDocumentText(doc, before, after.text, `"${clipId}" was being updated`);
    await this.push(true);
  }

  private async assemble(): Promise<void> {
    if (this.assembly.state === 'running') return;
    const ac = new AbortController();
    this.abort = ac;
    this.setAssembly({ state: 'running', fraction: 0 });
    let shown = 0;
    try {
      const { result, ff } = await assembleTimeline(
        this.deps.timelineFile(),
        this.deps.extensionPath,
        this.deps.settings(),
        {
          signal: ac.signal,
          onProgress: (f) => {
            // One message per percent: ffmpeg reports several times a second.
            if (Math.floor(f * 100) <= Math.floor(shown * 100) || f >= 1) return;
            shown = f;
            this.setAssembly({ state: 'running', fraction: f });
          },
        },
      );
      this.film = result.film;
      this.setAssembly({
        state: 'done',
        fraction: 1,
        film: vscode.workspace.asRelativePath(result.film),
        message: filmSummary(result, ff),
      });
      await this.openFilm(result.film);
    } catch (e) {
      if (ac.signal.aborted)
        this.setAssembly({ state: 'cancelled', message: 'Assembly cancelled; no film was written.' });
      else {
        const err = toStvError(e);
        this.setAssembly({ state: 'failed', message: `${err.message}${err.hint ? ` ${err.hint}` : ''}` });
      }
    } finally {
      if (this.abort === ac) this.abort = undefined;
    }
  }

  /** Beside the panel, which keeps the focus: opened in the panel's own group, the film would hide it. */
  private async openFilm(film: string): Promise<void> {
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(film), {
      viewColumn: vscode.ViewColumn.Beside,
      preserveFocus: true,
    });
  }

  dispose(): void {
    this.abort?.abort();
  }
}
