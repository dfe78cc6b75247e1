/**
 * What the editor's controls post: render and the other panel actions, field edits (sent after a
 * short pause in typing, and at once when the field is left, so one undo step is a burst of typing
 * rather than a character), structure changes from the toolbars (move, duplicate, delete, add) and
 * Alt+Up / Alt+Down on a toolbar to move its scene or shot.
 */
import type { ErrorAction, PanelState, WebviewToExtension } from '../src/protocol/messages';
import type { EditableField } from '../src/core/timeline/editableFields';
import { itemRef } from './authoring';
import type { DropTarget } from './dragDrop';

/** How long typing may pause before the text is changed. */
export const EDIT_DELAY_MS = 150;

type Post = (m: WebviewToExtension) => void;

function panelAction(d: DOMStringMap, post: Post): boolean {
  switch (d.action) {
    case 'render':
      post({ type: 'render', sceneId: d.scene ?? '', ...(d.seed ? { seed: Number(d.seed) } : {}) });
      return true;
    case 'renderAll':
      post({ type: 'renderAll' });
      return true;
    case 'cancel':
      post({ type: 'cancel', jobId: d.jobId ?? '' });
      return true;
    case 'cancelAll':
      post({ type: 'cancelAll' });
      return true;
    case 'open':
    case 'reveal':
      post({ type: d.action, videoPath: d.path ?? '' });
      return true;
    case 'faithful':
      post({ type: 'useKeyframeFaithfulModel' });
      return true;
    case 'errorAction':
      post({ type: 'errorAction', action: d.errorAction as ErrorAction, code: d.code ?? '' });
      return true;
    case 'command':
      post({ type: 'runCommand', command: d.command as 'sceneToVideo.startAdapter' });
      return true;
  }
  return false;
}

function structureAction(d: DOMStringMap, post: Post, state: PanelState | undefined): void {
  const outline = state?.outline;
  if (d.action === 'startTimeline' || d.action === 'showText') return post({ type: d.action });
  if (d.action === 'addScene') return post({ type: 'addScene' });
  const item = itemRef(outline, d.item ?? '');
  if (!item) return;
  switch (d.action) {
    case 'addShot':
    case 'duplicate':
    case 'delete':
      return post({ type: d.action, item });
    case 'chooseKeyframe':
    case 'generateKeyframe':
      return post({ type: d.action, item, which: d.which === 'end' ? 'end' : 'start' });
    case 'moveUp':
    case 'moveDown': {
      const at = item.shot ?? item.scene;
      return post({ type: 'move', item, to: d.action === 'moveUp' ? at - 1 : at + 1 });
    }
  }
}

export function installEditing(app: HTMLElement, post: Post, state: () => PanelState | undefined) {
  const pending = new Map<HTMLElement, ReturnType<typeof setTimeout>>();
  /** When the user last typed; the benchmark measures from there to the state that carries it. */
  let typedAt: number | undefined;
  const send = (c: HTMLElement & { value: string }) => {
    clearTimeout(pending.get(c));
    pending.delete(c);
    delete c.dataset.unsent;
    const item = itemRef(state()?.outline, c.dataset.item ?? '');
    if (!item) return;
    performance.mark('stv:edit-posted');
    post({ type: 'edit', item, field: c.dataset.field as EditableField, value: c.value });
  };
  app.addEventListener('click', (e) => {
    const target = (e.target as HTMLElement).closest<HTMLElement>('[data-action]');
    if (!target) return;
    if (!panelAction(target.dataset, post)) structureAction(target.dataset, post, state());
  });
  app.addEventListener('input', (e) => {
    const c = (e.target as HTMLElement).closest<HTMLElement & { value: string }>('[data-field]');
    if (!c || c.dataset.field === 'provider') return;
    typedAt = performance.now();
    // Typed but not sent yet: a state that arrives meanwhile must not put the old text back (authoring.ts updateFields).
    c.dataset.unsent = '';
    clearTimeout(pending.get(c));
    pending.set(
      c,
      setTimeout(() => send(c), EDIT_DELAY_MS),
    );
  });
  // Captured: the fields (vscode-textfield, -textarea, -single-select) fire a "change" that does not
  // bubble, when the focus leaves a field that was typed in, or an option is picked.
  app.addEventListener(
    'change',
    (e) => {
      const c = (e.target as HTMLElement).closest<HTMLElement & { value: string }>('[data-field]');
      if (c) send(c);
    },
    true,
  );
  app.addEventListener('keydown', (e) => {
    if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
    const tool = (e.target as HTMLElement).closest<HTMLElement>('.toolbar [data-item]');
    if (!tool) return;
    e.preventDefault();
    structureAction(
      { action: e.key === 'ArrowUp' ? 'moveUp' : 'moveDown', item: tool.dataset.item ?? '' },
      post,
      state(),
    );
  });
  const dropTarget: DropTarget = {
    move(from, toKey) {
      const item = itemRef(state()?.outline, from);
      const to = toKey.split('.').map(Number).at(-1);
      if (item && to !== undefined) post({ type: 'move', item, to });
    },
    keyframeUri(key, which, uri) {
      const item = itemRef(state()?.outline, key);
      if (item) post({ type: 'dropKeyframe', item, which, uri });
    },
    keyframeBytes(key, which, name, base64) {
      const item = itemRef(state()?.outline, key);
      if (item) post({ type: 'dropKeyframeBytes', item, which, name, base64 });
    },
    problem(message) {
      console.warn(message);
    },
  };
  return {
    dropTarget,
    /** The extension says the last edit is in the document: keystroke → document change (for the benchmark). */
    applied() {
      if (typedAt !== undefined && !pending.size) performance.measure('stv:keystroke-to-document', { start: typedAt });
      performance.measure('stv:edit-to-document', 'stv:edit-posted');
    },
    /** A state arrived: if it follows typing, record how long the round trip took (for the benchmark). */
    stateArrived() {
      if (typedAt === undefined || pending.size) return;
      performance.measure('stv:keystroke-to-state', { start: typedAt });
      // The extension's part: from the edit posted to its state drawn (no typing pause in it).
      performance.measure('stv:edit-to-state', 'stv:edit-posted');
      typedAt = undefined;
    },
  };
}
