/**
 * "Generate keyframe" (issue 21): N variants of a clip's start or end keyframe from its prompt, shown
 * side by side in a small view of their own as they arrive; picking one copies it into keyframes/
 * and sets it in the timeline as ONE undoable WorkspaceEdit (the minimal text change that core's
 * pickKeyframeText computes), so Ctrl+Z in the editor takes the pick back.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StvError, toStvError } from '../core/errors';
import { pickKeyframeText } from '../core/keyframes/pick';
import { generateKeyframes, type KeyframeEnd, type KeyframeVariant } from '../core/keyframes/variants';
import { KEYFRAMES_ELSEWHERE, type ProviderId } from '../core/providers/types';
import type { Settings } from '../core/settings/schema';
import { parseTimeline } from '../core/timeline/load';
import { KeyframesFromWebviewSchema, type KeyframesState } from '../protocol/keyframes';
import { replaceDocumentText } from './documentEdit';
import { log } from './log';
import { makeNonce, panelHtml } from './panelHtml';
import type { ProviderHub } from './providerHub';
import { keepPickerOpen } from './quickPick';
import type { RenderController } from './render';
import { loadResolved, pickScene, sceneFallbacks, saveIfDirty, timelineFromArgument } from './timelines';

/** How many variants one "Generate keyframe" makes (the CLI's --variants default too). */
export const DEFAULT_VARIANTS = 4;

export interface KeyframeDeps {
  ctx: vscode.ExtensionContext;
  hub: ProviderHub;
  renders: RenderController;
  settings: () => Settings;
}

/** Sets `variant` as the clip's keyframe: copies it into keyframes/, then one WorkspaceEdit on the timeline, saved. */
export async function applyKeyframePick(
  file: string,
  clip: string,
  which: KeyframeEnd,
  variant: string,
): Promise<string> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const text = doc.getText();
  const loaded = parseTimeline(text.replace(/^\uFEFF/, ''), { timelineFile: file });
  if (!loaded.ok)
    throw new StvError(
      'TIMELINE_INVALID',
      `${vscode.workspace.asRelativePath(file)} has problems; the keyframe was not set.`,
      'Fix them (see the Problems panel), then pick again.',
    );
  const r = await pickKeyframeText(file, text, loaded.timeline, clip, which, variant);
  await replaceDocumentText(doc, text, r.text, 'the keyframe was copied');
  return r.rel;
}

/** The view of one clip's variants: at most one at a time, replaced by the next "Generate keyframe". */
export class KeyframeVariantsView implements vscode.Disposable {
  static current?: KeyframeVariantsView;
  readonly variants: KeyframeVariant[] = [];
  state: KeyframesState;
  private readonly panel: vscode.WebviewPanel;
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    ctx: vscode.ExtensionContext,
    readonly file: string,
    readonly clip: string,
    readonly which: KeyframeEnd,
  ) {
    KeyframeVariantsView.current?.dispose();
    KeyframeVariantsView.current = this;
    const variantsRoot = vscode.Uri.file(path.join(path.dirname(file), 'keyframes', 'variants'));
    this.panel = vscode.window.createWebviewPanel(
      'sceneToVideo.keyframes',
      `Keyframes: ${clip} (${which})`,
      vscode.ViewColumn.Beside,
      // The extension's bundle and this timeline's variants: the page can load nothing else.
      { enableScripts: true, localResourceRoots: [ctx.extensionUri, variantsRoot] },
    );
    const w = this.panel.webview;
    const asUri = (...p: string[]) => w.asWebviewUri(vscode.Uri.joinPath(ctx.extensionUri, ...p)).toString();
    w.html = panelHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scriptUri: asUri('dist', 'keyframes.js'),
      styleUri: asUri('dist', 'keyframes.css'),
      codiconsUri: asUri('dist', 'codicons', 'codicon.css'),
      title: `Keyframes: ${clip}`,
    });
    this.state = {
      title: `${which === 'end' ? 'End' : 'Start'} keyframe of ${clip}`,
      status: '',
      busy: true,
      variants: [],
    };
    this.subs.push(
      w.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  get disposed(): boolean {
    return KeyframeVariantsView.current !== this;
  }

  update(patch: Partial<KeyframesState>): void {
    this.state = { ...this.state, ...patch };
    void this.panel.webview.postMessage({ type: 'state', state: this.state });
  }

  add(v: KeyframeVariant): void {
    this.variants.push(v);
    const uri = this.panel.webview.asWebviewUri(vscode.Uri.file(v.imagePath)).toString();
    const index = this.variants.length - 1;
    const view = {
      index,
      uri,
      seed: v.seed,
      width: v.width,
      height: v.height,
      label: `Variant ${index + 1}, seed ${v.seed}`,
    };
    this.update({ variants: [...this.state.variants, view] });
  }

  /** Picks variant `index` (the view's Pick button; the in-host tests call it too). */
  async pick(index: number): Promise<string | undefined> {
    const v = this.variants[index];
    if (!v) return undefined;
    try {
      const rel = await applyKeyframePick(this.file, this.clip, this.which, v.imagePath);
      this.update({ picked: index, status: `Set as the ${this.which} keyframe: ${rel}` });
      return rel;
    } catch (e) {
      this.update({ status: toStvError(e).message });
      throw e;
    }
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = KeyframesFromWebviewSchema.safeParse(raw);
    if (!m.success) return log().warn('keyframes view: ignored a message that is not one of ours');
    if (m.data.type === 'ready') this.update({});
    else await this.pick(m.data.index).catch((e: unknown) => log().error(toStvError(e).message));
  }

  dispose(): void {
    if (KeyframeVariantsView.current === this) KeyframeVariantsView.current = undefined;
    for (const s of this.subs.splice(0)) s.dispose();
    this.panel.dispose();
  }
}

async function pickWhich(which: unknown): Promise<KeyframeEnd | undefined> {
  if (which === 'start' || which === 'end') return which;
  const p = await vscode.window.showQuickPick(
    [
      { label: 'Start keyframe', which: 'start' as const },
      { label: 'End keyframe', which: 'end' as const },
    ],
    { placeHolder: 'Generate which keyframe?', ignoreFocusOut: keepPickerOpen() },
  );
  return p?.which;
}

/** The command: (timeline, "scene" or "scene/shot", "start" | "end"), each asked for when not given. */
export async function generateKeyframeCommand(
  d: KeyframeDeps,
  fileArg?: unknown,
  clipArg?: unknown,
  whichArg?: unknown,
): Promise<KeyframeVariantsView | undefined> {
  const file = await timelineFromArgument(fileArg);
  if (!file) return undefined;
  await saveIfDirty(file);
  const { timeline, scenes } = await loadResolved(file, d.settings());
  const clip = typeof clipArg === 'string' ? clipArg : ((s) => s && (s.key ?? s.id))(await pickScene(scenes));
  const which = clip ? await pickWhich(whichArg) : undefined;
  if (!clip || !which) return undefined;
  const providerId: ProviderId = timeline.defaults.provider ?? d.settings().videoProvider;
  if (providerId === 'fastvideo-local' && !(await d.renders.ensureAdapter())) return undefined;
  const health = await d.hub.check(providerId);
  if (health.makesKeyframes === false)
    throw new StvError(
      'KEYFRAMES_UNSUPPORTED',
      `${providerId} cannot make keyframes: ${health.keyframesProblem ?? 'it says so'}`,
      KEYFRAMES_ELSEWHERE,
    );
  const provider = await d.hub.get(providerId);
  const view = new KeyframeVariantsView(d.ctx, file, clip, which);
  const abort = new AbortController();
  view.update({ status: `Generating ${DEFAULT_VARIANTS} variants with ${providerId}…` });
  generateKeyframes({
    timeline,
    timelineFile: file,
    clipKey: clip,
    which,
    variants: DEFAULT_VARIANTS,
    provider,
    signal: abort.signal,
    fallbacks: sceneFallbacks(d.settings()),
    onVariant: (v) => !view.disposed && view.add(v),
    onProgress: (i, n, p) => {
      if (view.disposed) abort.abort();
      else if (p.stage === 'uploading') view.update({ status: `Generating variant ${i + 1} of ${n}…` });
    },
  }).then(
    (made) =>
      view.update({ busy: false, status: `${made.length} variants: pick one to set it as the ${which} keyframe.` }),
    (e: unknown) => view.update({ busy: false, status: `${toStvError(e).message} ${toStvError(e).hint ?? ''}`.trim() }),
  );
  return view;
}
