/**
 * Drag and drop in the timeline editor: a scene or shot dragged by its handle onto another of the
 * same list moves there; an image dropped on a keyframe box becomes that keyframe. Files dragged
 * from VS Code's Explorer arrive as URIs (hold Shift to drop into an editor); from the desktop as
 * File objects, read here and sent as bytes (bounded) when they carry no path.
 */
import { MAX_DROPPED_KEYFRAME_BASE64 } from '../src/protocol/messages';

const ITEM_TYPE = 'application/x-stv-item';
const URI_TYPES = ['application/vnd.code.uri-list', 'text/uri-list'];

export interface DropTarget {
  move(from: string, toKey: string): void;
  keyframeUri(item: string, which: 'start' | 'end', uri: string): void;
  keyframeBytes(item: string, which: 'start' | 'end', name: string, base64: string): void;
  problem(message: string): void;
}

/** The parent list of an item key ("3" → scenes, "3.1" → the shots of scene 3). */
const parentOf = (key: string) => (key.includes('.') ? key.slice(0, key.indexOf('.')) : '');

function firstUri(dt: DataTransfer): string | undefined {
  for (const t of URI_TYPES) {
    const line = dt
      .getData(t)
      .split(/\r?\n/)
      .find((l) => l.trim() && !l.startsWith('#'));
    if (line) return line.trim();
  }
  return undefined;
}

function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

let dragging: string | undefined;

export function installDragAndDrop(app: HTMLElement, target: DropTarget): void {
  app.addEventListener('dragstart', (e) => {
    const handle = (e.target as HTMLElement).closest<HTMLElement>('.handle[data-item]');
    if (!handle || !e.dataTransfer) return;
    dragging = handle.dataset.item;
    e.dataTransfer.setData(ITEM_TYPE, dragging ?? '');
    e.dataTransfer.effectAllowed = 'move';
  });
  app.addEventListener('dragend', () => {
    dragging = undefined;
    app.querySelectorAll('.drag-over').forEach((n) => n.classList.remove('drag-over'));
  });
  const over = (e: DragEvent) => {
    const t = e.target as HTMLElement;
    const zone = t.closest<HTMLElement>('.dropzone[data-drop]');
    const types = [...(e.dataTransfer?.types ?? [])];
    if (zone && (types.includes('Files') || URI_TYPES.some((u) => types.includes(u)))) return zone;
    const item = t.closest<HTMLElement>('[data-item].scene, .scene-head[data-item]');
    if (dragging && item?.dataset.item && parentOf(item.dataset.item) === parentOf(dragging)) return item;
    // A scene dragged over one of its own shots moves among scenes.
    const group = t.closest<HTMLElement>('.scene-group[data-group]');
    if (dragging && !dragging.includes('.') && group) return group;
    return undefined;
  };
  app.addEventListener('dragover', (e) => {
    const z = over(e);
    if (!z) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = z.classList.contains('dropzone') ? 'copy' : 'move';
    app.querySelectorAll('.drag-over').forEach((n) => n !== z && n.classList.remove('drag-over'));
    z.classList.add('drag-over');
  });
  app.addEventListener('dragleave', (e) => (e.target as HTMLElement).classList?.remove('drag-over'));
  app.addEventListener('drop', (e) => void onDrop(e, over(e), target));
}

async function onDrop(e: DragEvent, z: HTMLElement | undefined, target: DropTarget): Promise<void> {
  if (!z || !e.dataTransfer) return;
  e.preventDefault();
  z.classList.remove('drag-over');
  const dt = e.dataTransfer;
  if (!z.classList.contains('dropzone')) {
    const from = dragging ?? dt.getData(ITEM_TYPE);
    const to = z.dataset.item ?? z.dataset.group;
    dragging = undefined;
    if (from && to && from !== to) target.move(from, to);
    return;
  }
  const item = z.dataset.item ?? '';
  const which = z.dataset.drop === 'end' ? 'end' : 'start';
  const uri = firstUri(dt);
  if (uri) return target.keyframeUri(item, which, uri);
  const file = dt.files[0];
  if (!file) return;
  const base64 = toBase64(await file.arrayBuffer());
  if (base64.length > MAX_DROPPED_KEYFRAME_BASE64) return target.problem(`${file.name} is too large to be a keyframe.`);
  target.keyframeBytes(item, which, file.name, base64);
}
