/**
 * The timeline editor's changes as minimal text edits (jsonc-parser), computed without `vscode` so
 * they are unit-tested: the editor turns them into one WorkspaceEdit each, so the text document
 * stays the single source of truth (undo, redo, dirty marker, hot exit and git diffs work as for
 * typing). Everything the edit does not touch keeps its formatting, key order and escapes.
 *
 * Scenes and shots are addressed by index *and* id: a webview that drew an older text may send an
 * index that now names another item, and such a stale edit is refused rather than applied to the
 * wrong scene. The outline (what the editor draws) is read from the JSON tree, not the validated
 * timeline, so the editor keeps its structure while a field is momentarily invalid (an empty title).
 */
import {
  applyEdits,
  findNodeAtLocation,
  modify,
  parseTree,
  type Edit,
  type JSONPath,
  type Node,
  type ParseError,
} from 'jsonc-parser';
import { StvError } from '../errors';
import { EDITABLE_FIELDS, NUMBER_FIELDS, OVERRIDE_FIELDS, type EditableField } from './editableFields';

export { EDITABLE_FIELDS, type EditableField };

/** A scene (no `shot`) or one shot of it, by position, with the ids the sender saw there. */
export interface ItemRef {
  scene: number;
  sceneId: string;
  shot?: number;
  shotId?: string;
}

export type FieldValues = Partial<Record<EditableField, string | number>> & { start?: string; end?: string };

export interface OutlineShot {
  id: string;
  fields: FieldValues;
}
export interface OutlineScene {
  id: string;
  fields: FieldValues;
  shots: OutlineShot[];
}
export interface Outline {
  version: number | undefined;
  scenes: OutlineScene[];
}

const FORMAT = { insertSpaces: true, tabSize: 2, eol: '\n' } as const;

/** Parses a timeline's text as a tree; undefined when it is not a JSON object (a syntax error). */
export function timelineTree(text: string): Node | undefined {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: false, allowTrailingComma: true });
  return root?.type === 'object' && errors.length === 0 ? root : undefined;
}

function fieldValues(item: Node | undefined): FieldValues {
  const out: FieldValues = {};
  if (item?.type !== 'object') return out;
  for (const f of EDITABLE_FIELDS) {
    const n = findNodeAtLocation(item, fieldPath(f));
    if (n && (n.type === 'string' || n.type === 'number')) out[f] = n.value as string | number;
  }
  for (const which of ['start', 'end'] as const) {
    const n =
      findNodeAtLocation(item, ['keyframes', which]) ??
      (which === 'start' ? findNodeAtLocation(item, ['keyframe']) : undefined);
    if (n?.type === 'string') out[which] = n.value as string;
  }
  return out;
}

const idOf = (n: Node | undefined): string => {
  const id = n?.type === 'object' ? findNodeAtLocation(n, ['id']) : undefined;
  return id?.type === 'string' ? String(id.value) : '';
};

/** What the editor draws: each scene's and shot's id and editable values, as written. */
export function timelineOutline(root: Node): Outline {
  const version = findNodeAtLocation(root, ['version'])?.value as unknown;
  const scenes = findNodeAtLocation(root, ['scenes']);
  return {
    version: typeof version === 'number' ? version : undefined,
    scenes: (scenes?.type === 'array' ? (scenes.children ?? []) : []).map((sc) => {
      const shots = sc.type === 'object' ? findNodeAtLocation(sc, ['shots']) : undefined;
      return {
        id: idOf(sc),
        fields: fieldValues(sc),
        shots: (shots?.type === 'array' ? (shots.children ?? []) : []).map((sh) => ({
          id: idOf(sh),
          fields: fieldValues(sh),
        })),
      };
    }),
  };
}

function fieldPath(f: EditableField): JSONPath {
  return OVERRIDE_FIELDS.has(f) ? ['overrides', f] : [f];
}

const stale = (what: string) =>
  new StvError(
    'INVALID_REQUEST',
    `The timeline changed under the editor (${what} is no longer where it was); nothing was changed.`,
    'Try again on what the editor shows now.',
  );

/** The JSON path of the scene or shot `ref` names, after checking it still holds the ids the sender saw. */
export function itemPath(root: Node, ref: ItemRef): JSONPath {
  const scenePath: JSONPath = ['scenes', ref.scene];
  if (idOf(findNodeAtLocation(root, scenePath)) !== ref.sceneId) throw stale(`scene "${ref.sceneId}"`);
  if (ref.shot === undefined) return scenePath;
  const shotPath: JSONPath = [...scenePath, 'shots', ref.shot];
  if (idOf(findNodeAtLocation(root, shotPath)) !== (ref.shotId ?? '')) throw stale(`shot "${ref.shotId ?? ''}"`);
  return shotPath;
}

function parsed(text: string): Node {
  const root = timelineTree(text);
  if (!root)
    throw new StvError(
      'TIMELINE_INVALID',
      'The timeline text has a syntax error, so the editor does not change it.',
      'Fix the JSON in the text editor (the Problems panel shows where); the editor follows.',
    );
  return root;
}

/**
 * Sets one field of a scene or shot. `null`, an empty string or a number field that is not a
 * number removes the field (the value then comes from the scene or the defaults), except a scene's
 * title, which is required and written as typed. Giving `seconds` removes `frames` and vice versa
 * (a clip has one length); removing the last override removes `overrides`.
 */
export function setFieldEdits(text: string, ref: ItemRef, field: EditableField, value: string | number | null): Edit[] {
  const root = parsed(text);
  const base = itemPath(root, ref);
  const keepEmpty = field === 'title' && ref.shot === undefined;
  let v: string | number | undefined = value ?? undefined;
  if (NUMBER_FIELDS.has(field) && typeof v === 'string') v = v.trim() === '' ? undefined : Number(v);
  if (typeof v === 'number' && !Number.isFinite(v)) v = undefined;
  if (v === '' && !keepEmpty) v = undefined;
  let current = text;
  const apply = (p: JSONPath, val: unknown) => {
    current = applyEdits(current, modify(current, p, val, { formattingOptions: FORMAT }));
  };
  const overrides = findNodeAtLocation(root, [...base, 'overrides']);
  if (OVERRIDE_FIELDS.has(field) && v === undefined && overrides?.type === 'object') {
    const keys = (overrides.children ?? []).map((p) => p.children?.[0]?.value as string);
    if (keys.length === 1 && keys[0] === field) {
      apply([...base, 'overrides'], undefined);
      return diffEdit(text, current);
    }
  }
  if (v === undefined && !findNodeAtLocation(root, [...base, ...fieldPath(field)])) return [];
  apply([...base, ...fieldPath(field)], v);
  const other = field === 'seconds' ? 'frames' : field === 'frames' ? 'seconds' : undefined;
  if (other && v !== undefined && findNodeAtLocation(timelineTree(current) ?? root, [...base, other]))
    apply([...base, other], undefined);
  return diffEdit(text, current);
}

/** One edit from `before` to `after`: the span between their common prefix and common suffix. */
export function diffEdit(before: string, after: string): Edit[] {
  if (before === after) return [];
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end))
    end++;
  return [{ offset: start, length: before.length - end - start, content: after.slice(start, after.length - end) }];
}

/** Sets (or with `undefined` removes) a start or end keyframe, as a path relative to the timeline. */
export function setKeyframeEdits(text: string, ref: ItemRef, which: 'start' | 'end', rel: string | undefined): Edit[] {
  const root = parsed(text);
  const base = itemPath(root, ref);
  const item = findNodeAtLocation(root, base);
  const v1 = findNodeAtLocation(root, ['version'])?.value === 1;
  if (v1) {
    if (which === 'end' || ref.shot !== undefined)
      throw new StvError(
        'TIMELINE_INVALID',
        'End keyframes and shots need a version 2 timeline; nothing was changed.',
        'Run "Scene to Video: Upgrade timeline to v2", then drop the image again.',
      );
    return modify(text, [...base, 'keyframe'], rel, { formattingOptions: FORMAT });
  }
  if (item && findNodeAtLocation(item, ['keyframes']) === undefined) {
    if (rel === undefined) return [];
    if (which === 'end')
      throw new StvError(
        'TIMELINE_INVALID',
        'This clip has no start keyframe, and an end keyframe needs one; nothing was changed.',
        'Drop an image on the start keyframe first.',
      );
    return modify(text, [...base, 'keyframes'], { start: rel }, { formattingOptions: FORMAT });
  }
  if (which === 'start' && rel === undefined)
    return modify(text, [...base, 'keyframes'], undefined, { formattingOptions: FORMAT });
  return modify(text, [...base, 'keyframes', which], rel, { formattingOptions: FORMAT });
}

/** The first id of the form `${stem}-N` (N from `from`) that none of `taken` uses, ignoring letter case. */
export function freshId(stem: string, taken: string[], from = 1): string {
  const lower = new Set(taken.map((t) => t.toLowerCase()));
  for (let n = from; ; n++) {
    const id = `${stem}-${n}`.slice(-64).replace(/^[^A-Za-z0-9]+/, '');
    if (!lower.has(id.toLowerCase())) return id;
  }
}

function siblings(root: Node, ref: ItemRef): { arrayPath: JSONPath; ids: string[]; index: number } {
  itemPath(root, ref);
  const arrayPath: JSONPath = ref.shot === undefined ? ['scenes'] : ['scenes', ref.scene, 'shots'];
  const arr = findNodeAtLocation(root, arrayPath);
  return {
    arrayPath,
    ids: (arr?.children ?? []).map(idOf),
    index: ref.shot ?? ref.scene,
  };
}

const insertAt = (text: string, arrayPath: JSONPath, index: number, value: unknown): Edit[] =>
  modify(text, [...arrayPath, index], value, { formattingOptions: FORMAT, isArrayInsertion: true });

/** A new scene at the end of the timeline (or right after `after`): an id, a title and a prompt to replace. */
export function addSceneEdits(text: string, after?: ItemRef): { edits: Edit[]; id: string } {
  const root = parsed(text);
  const scenes = findNodeAtLocation(root, ['scenes']);
  const ids = (scenes?.children ?? []).map(idOf);
  const n = ids.length + 1;
  const id = freshId('scene', ids, n);
  const scene = { id, title: `Scene ${n}`, prompt: 'Describe what this scene shows' };
  if (!scenes) return { edits: modify(text, ['scenes'], [scene], { formattingOptions: FORMAT }), id };
  const index = after ? siblings(root, after).index + 1 : ids.length;
  return { edits: insertAt(text, ['scenes'], index, scene), id };
}

/**
 * A new shot in a scene, after `after` (a shot) or at the end. A scene without shots first gets
 * one for the clip it already is (`shot-1`, which inherits everything), so nothing it showed moves.
 */
export function addShotEdits(text: string, ref: ItemRef): { edits: Edit[]; id: string } {
  const root = parsed(text);
  const scenePath = itemPath(root, { scene: ref.scene, sceneId: ref.sceneId });
  if (findNodeAtLocation(root, ['version'])?.value === 1)
    throw new StvError(
      'TIMELINE_INVALID',
      'Shots need a version 2 timeline; nothing was changed.',
      'Run "Scene to Video: Upgrade timeline to v2", then add the shot.',
    );
  const shots = findNodeAtLocation(root, [...scenePath, 'shots']);
  if (!shots) {
    const id = 'shot-2';
    return {
      edits: modify(text, [...scenePath, 'shots'], [{ id: 'shot-1' }, { id }], { formattingOptions: FORMAT }),
      id,
    };
  }
  const ids = (shots.children ?? []).map(idOf);
  const id = freshId('shot', ids, ids.length + 1);
  const index = ref.shot !== undefined ? siblings(root, ref).index + 1 : ids.length;
  return { edits: insertAt(text, [...scenePath, 'shots'], index, { id }), id };
}

/** A copy of a scene or shot right after it, under a new id (and its title marked as a copy). */
export function duplicateEdits(text: string, ref: ItemRef): { edits: Edit[]; id: string } {
  const root = parsed(text);
  const s = siblings(root, ref);
  const node = findNodeAtLocation(root, [...s.arrayPath, s.index]);
  const value = JSON.parse(text.slice(node?.offset ?? 0, (node?.offset ?? 0) + (node?.length ?? 0))) as Record<
    string,
    unknown
  >;
  const stem = String(value.id ?? 'copy').replace(/-copy(-\d+)?$/, '');
  const taken = new Set(s.ids.map((i) => i.toLowerCase()));
  const id = taken.has(`${stem}-copy`.toLowerCase()) ? freshId(`${stem}-copy`, s.ids, 2) : `${stem}-copy`;
  const copy = {
    ...value,
    id,
    ...(typeof value.title === 'string' ? { title: `${value.title} (copy)`.slice(0, 200) } : {}),
  };
  return { edits: insertAt(text, s.arrayPath, s.index + 1, copy), id };
}

/** Removes a scene or shot. A scene's last shot cannot go (a scene has at least one); delete the scene. */
export function deleteEdits(text: string, ref: ItemRef): Edit[] {
  const root = parsed(text);
  const s = siblings(root, ref);
  if (ref.shot !== undefined && s.ids.length === 1)
    throw new StvError(
      'INVALID_REQUEST',
      `"${ref.shotId ?? ''}" is the only shot of "${ref.sceneId}"; a scene keeps at least one. Nothing was changed.`,
      'Delete the scene instead, or add another shot first.',
    );
  return modify(text, [...s.arrayPath, s.index], undefined, { formattingOptions: FORMAT });
}

/**
 * Moves a scene or shot to position `to` among its siblings. Only the text from the first to the
 * last item that changes place is rewritten, each item's own text kept as written, and the
 * separators (commas, line breaks, indentation) between them stay where they were.
 */
export function moveEdits(text: string, ref: ItemRef, to: number): Edit[] {
  const root = parsed(text);
  const s = siblings(root, ref);
  const arr = findNodeAtLocation(root, s.arrayPath);
  const items = arr?.children ?? [];
  const target = Math.max(0, Math.min(items.length - 1, Math.trunc(to)));
  if (target === s.index) return [];
  const lo = Math.min(s.index, target);
  const hi = Math.max(s.index, target);
  const span = items.slice(lo, hi + 1);
  const texts = span.map((n) => text.slice(n.offset, n.offset + n.length));
  const moved = s.index < target ? [...texts.slice(1), texts[0] ?? ''] : [texts.at(-1) ?? '', ...texts.slice(0, -1)];
  const first = span[0];
  const last = span.at(-1);
  if (!first || !last) return [];
  let out = '';
  span.forEach((n, i) => {
    out += moved[i];
    const next = span[i + 1];
    if (next) out += text.slice(n.offset + n.length, next.offset);
  });
  return [{ offset: first.offset, length: last.offset + last.length - first.offset, content: out }];
}
