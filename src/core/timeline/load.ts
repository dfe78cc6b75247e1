/**
 * Loads a timeline file into either a typed Timeline or a list of problems a person can act on,
 * each with the JSON path and the line/column of the offending value. Never throws on bad input.
 */
import { readFile, stat } from 'node:fs/promises';
import { closeSync, existsSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { getNodePath, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { LineIndex, nodeForPath } from './positions';
import {
  KeyframesSchema,
  NamedWorkflowSchema,
  SceneOverridesSchema,
  SceneSchema,
  ShotSchema,
  TimelineDefaultsSchema,
  TimelineSchema,
  type Timeline,
} from './schema';
import {
  describeFramesProblem,
  describeSideProblem,
  isValidFrameCount,
  MAX_FRAMES,
  MIN_FRAMES,
  NATIVE,
} from './validSizes';
import { keyframeEscape, resolveKeyframePath } from './keyframePath';
import { imageFormatOf } from '../keyframeImage';
import { readImageSize, type ImageSize } from './imageSize';
import { checkKeyframeAspect, checkVersionedFields, idText, type V2Reporter } from './v2';
import { closestMatch } from './suggest';
import { checkCut } from '../takes/check';

export interface TimelineProblem {
  code: string;
  message: string;
  severity: 'error' | 'warning';
  path: (string | number)[];
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export type LoadResult =
  { ok: true; timeline: Timeline; warnings: TimelineProblem[] } | { ok: false; problems: TimelineProblem[] };

export interface ParseOptions {
  /** Absolute path of the timeline file; keyframes resolve relative to its folder. */
  timelineFile: string;
  /** Injected for tests and for editors with unsaved files; defaults to the real file system. */
  fileExists?: (absPath: string) => boolean;
  /**
   * The frame rate of a scene whose timeline sets none (the extension's fastVideo.fps, which
   * resolveScenes() falls back to as well), so a length in seconds is checked at the rate it renders.
   */
  fallbackFps?: number;
  /**
   * A keyframe whose real path (symlinks resolved) leads out of the timeline's folder: an error in
   * an untrusted workspace (the extension passes 'error' there), else a warning (the default).
   */
  keyframesOutside?: 'error' | 'warning';
  /** Injected for tests; defaults to fs.realpathSync.native (undefined when the path cannot be resolved). */
  realPath?: (absPath: string) => string | undefined;
  /** The first bytes of a file, to tell an image by its content; defaults to reading the real file. */
  readHead?: (absPath: string) => Uint8Array | undefined;
  /** Reads a keyframe's width and height (the crop warning, `size: "auto"`); the real file by default. */
  imageSize?: (absPath: string) => ImageSize | undefined;
}

/** Deeper than any timeline needs (scenes[i].overrides.x is 4 levels); refused before parsing. */
export const MAX_TIMELINE_DEPTH = 64;

/** Largest timeline file we read: 10,000 scenes of long prompts fit well inside this. */
export const MAX_TIMELINE_BYTES = 32 * 1024 * 1024;

const KNOWN_KEYS: Record<'top' | 'defaults' | 'scene' | 'overrides', string[]> = {
  top: Object.keys(TimelineSchema.shape),
  defaults: Object.keys(TimelineDefaultsSchema.shape),
  scene: Object.keys(SceneSchema.shape),
  overrides: Object.keys(SceneOverridesSchema.shape),
};
/** Version 2's objects, for "did you mean" on their unknown fields. */
const KNOWN_V2_KEYS = {
  shot: Object.keys(ShotSchema.shape),
  keyframes: Object.keys(KeyframesSchema.shape),
  workflow: Object.keys(NamedWorkflowSchema.shape),
};

function keysFor(p: (string | number)[]): string[] {
  if (p.length === 0) return KNOWN_KEYS.top;
  if (p.length === 1 && p[0] === 'defaults') return KNOWN_KEYS.defaults;
  if (p.length === 2 && p[0] === 'scenes') return KNOWN_KEYS.scene;
  if (p.length === 3 && p[0] === 'scenes' && p[2] === 'overrides') return KNOWN_KEYS.overrides;
  if (p.length === 4 && p[0] === 'scenes' && p[2] === 'shots') return KNOWN_V2_KEYS.shot;
  if (p.length === 5 && p[0] === 'scenes' && p[2] === 'shots' && p[4] === 'overrides') return KNOWN_KEYS.overrides;
  if (p[0] === 'scenes' && p[p.length - 1] === 'keyframes') return KNOWN_V2_KEYS.keyframes;
  if (p.length === 2 && p[0] === 'workflows') return KNOWN_V2_KEYS.workflow;
  return [];
}

function didYouMean(key: string, candidates: string[]): string {
  const best = closestMatch(key, candidates);
  return best ? ` Did you mean "${best}"?` : '';
}

function pathLabel(p: (string | number)[]): string {
  if (p.length === 0) return 'the timeline';
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '');
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** zod's expected-type names in words ("must be a number"). */
function expectedInWords(expected: string): string {
  const words: Record<string, string> = {
    number: 'a number',
    int: 'a whole number',
    string: 'a string (in double quotes)',
    array: 'an array [...]',
    object: 'an object {...}',
    boolean: 'true or false',
  };
  return words[expected] ?? expected;
}

function valueAt(data: unknown, p: (string | number)[]): unknown {
  let cur: unknown = data;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

type IssueProblem = { code: string; message: string; path: (string | number)[]; key?: string };

/** A number, text or list below its minimum or above its maximum. */
function boundProblems(
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
  where: string,
  last: string | number | undefined,
  value: unknown,
  p: (string | number)[],
): IssueProblem[] {
  if ((last === 'width' || last === 'height') && typeof value === 'number')
    return [{ code: 'invalid-size', message: `${where}: ${describeSideProblem(last, value)}`, path: p }];
  if ((last === 'numFrames' || last === 'frames') && typeof value === 'number')
    return [{ code: 'invalid-frames', message: `${where}: ${describeFramesProblem(value)}`, path: p }];
  if (Array.isArray(value) || typeof value === 'string') {
    const what = typeof value === 'string' ? 'characters' : 'items';
    if (issue.code === 'too_small' && Number(issue.minimum) === 1)
      return [{ code: 'invalid-value', message: `${where} must not be empty.`, path: p }];
    const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
    return [{ code: 'invalid-value', message: `${where} must have ${bound} ${what}.`, path: p }];
  }
  const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
  return [{ code: 'invalid-value', message: `${where} must be ${bound} (got ${JSON.stringify(value)}).`, path: p }];
}

/** A value outside a fixed set (an enum or a literal): missing, or not one of the allowed values. */
function invalidValueProblems(
  issue: z.core.$ZodIssueInvalidValue,
  where: string,
  value: unknown,
  p: (string | number)[],
): IssueProblem[] {
  const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
  if (value === undefined)
    return [
      {
        code: 'missing-field',
        message: `${where} is required: add it with ${issue.values.length === 1 ? 'the value' : 'one of'} ${allowed}.`,
        path: p,
      },
    ];
  const hint =
    typeof value === 'string'
      ? didYouMean(
          value,
          issue.values.filter((v): v is string => typeof v === 'string'),
        )
      : '';
  return [
    {
      code: 'invalid-value',
      message: `${where} must be ${issue.values.length === 1 ? '' : 'one of '}${allowed} (got ${describeType(value)}).${hint}`,
      path: p,
    },
  ];
}

/** Turns one zod issue into one or more problems with messages written for people. */
function problemsFromIssue(issue: z.core.$ZodIssue, data: unknown): IssueProblem[] {
  const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  const where = pathLabel(p);
  const last = p[p.length - 1];
  const value = valueAt(data, p);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({
        code: 'unknown-field',
        message: `Unknown field "${k}" in ${where}.${didYouMean(k, keysFor(p))} Remove it or fix its name.`,
        path: [...p, k],
        key: k,
      }));
    case 'invalid_type':
      if (value === undefined)
        return [
          {
            code: 'missing-field',
            message: `${where} is required: add it as ${expectedInWords(issue.expected)}.`,
            path: p,
          },
        ];
      return [
        {
          code: 'wrong-type',
          message: `${where} must be ${expectedInWords(issue.expected)}, not ${describeType(value)}.`,
          path: p,
        },
      ];
    case 'not_multiple_of':
      if ((last === 'width' || last === 'height') && typeof value === 'number')
        return [{ code: 'invalid-size', message: `${where}: ${describeSideProblem(last, value)}`, path: p }];
      return [{ code: 'invalid-value', message: `${where}: ${issue.message}`, path: p }];
    case 'too_small':
    case 'too_big':
      return boundProblems(issue, where, last, value, p);
    case 'invalid_value':
      return invalidValueProblems(issue, where, value, p);
    case 'invalid_format':
      if (last === 'id')
        return [{ code: 'invalid-scene-id', message: `Scene id ${JSON.stringify(value)} ${issue.message}.`, path: p }];
      return [{ code: 'invalid-value', message: `${where}: ${issue.message}.`, path: p }];
    case 'custom':
      if (last === 'id')
        return [{ code: 'invalid-scene-id', message: `Scene id ${JSON.stringify(value)} ${issue.message}.`, path: p }];
      return [{ code: 'invalid-value', message: `${where}: ${issue.message}.`, path: p }];
    default:
      return [{ code: 'invalid-value', message: `${where}: ${issue.message}.`, path: p }];
  }
}

/** JSON syntax errors (at most 20), or one saying the file is empty when the parser gave none. */
function syntaxProblems(syntax: ParseError[], lines: LineIndex): TimelineProblem[] {
  const problems: TimelineProblem[] = [];
  for (const e of syntax.slice(0, 20)) {
    const r = lines.range(e.offset, e.length);
    problems.push({
      code: 'json-syntax',
      message: `JSON syntax error: ${humanParseError(printParseErrorCode(e.error))}.`,
      severity: 'error',
      path: [],
      ...r,
    });
  }
  if (problems.length === 0)
    problems.push({
      code: 'json-syntax',
      message: 'The file is empty: a timeline is a JSON object with "version", "title" and "scenes".',
      severity: 'error',
      path: [],
      ...lines.range(0, 0),
    });
  return problems;
}

/** Reports a root that is not an object, or a version this extension cannot read; true when it reported one. */
function reportRootShape(data: unknown, at: V2Reporter): boolean {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    at(
      'error',
      'wrong-type',
      `A timeline must be a JSON object with "version", "title" and "scenes", not ${describeType(data)}.`,
      [],
    );
    return true;
  }
  const version = (data as { version?: unknown }).version;
  if (version !== undefined && version !== 1 && version !== 2) {
    const message =
      typeof version === 'number'
        ? `Timeline version ${version} is not supported: this extension reads versions 1 and 2. Update Scene to Video, or set "version": 2.`
        : `"version" must be the number 2 (or 1), not ${describeType(version)}: write "version": 2 without quotes.`;
    at('error', 'unsupported-version', message, ['version']);
    return true;
  }
  return false;
}

export function parseTimeline(text: string, opts: ParseOptions): LoadResult {
  // A byte order mark becomes a space: JSON parsers refuse it, and a space keeps every offset.
  if (text.charCodeAt(0) === 0xfeff) text = ` ${text.slice(1)}`;
  const lines = new LineIndex(text);
  const problems: TimelineProblem[] = [];
  const fileExists = opts.fileExists ?? defaultFileExists;
  const syntax: ParseError[] = [];
  const deep = tooDeepAt(text, MAX_TIMELINE_DEPTH);
  if (deep !== undefined) {
    const r = lines.range(deep, 1);
    const message = `The timeline is nested more than ${MAX_TIMELINE_DEPTH} levels deep (arrays or objects inside each other, from line ${r.line}, column ${r.column}); a timeline needs at most 5. It was not read further.`;
    return { ok: false, problems: [{ code: 'too-deep', message, severity: 'error', path: [], ...r }] };
  }
  const root: Node | undefined = parseTree(text, syntax, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });

  const at: V2Reporter = (severity, code, message, p, key, exact) => {
    const node = exact ?? nodeForPath(root, p, key);
    const r = node ? lines.range(node.offset, node.length) : lines.range(0, 0);
    problems.push({ code, message, severity, path: p, ...r });
  };

  if (syntax.length > 0 || !root) return { ok: false, problems: syntaxProblems(syntax, lines) };

  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // jsonc-parser accepted something JSON.parse did not (e.g. a lone surrogate); report it at the start.
    at('error', 'json-syntax', `JSON syntax error: ${(e as Error).message}.`, []);
    return { ok: false, problems };
  }

  if (reportRootShape(data, at)) return { ok: false, problems };

  const parsed = TimelineSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const pr of problemsFromIssue(issue, data)) at('error', pr.code, pr.message, pr.path, pr.key);
    }
  }

  // Checks the schema cannot express, run on the raw data so they report even when other parts fail.
  semanticChecks(data as Record<string, unknown>, opts, fileExists, at);
  checkVersionedFields(data as Record<string, unknown>, { timelineFile: opts.timelineFile, fileExists }, at);
  checkCut(data as Record<string, unknown>, { timelineFile: opts.timelineFile, fileExists }, at);
  duplicateKeys(root, at);
  if (parsed.success && !problems.some((p) => p.severity === 'error'))
    checkKeyframeAspect(
      parsed.data,
      {
        timelineFile: opts.timelineFile,
        imageSize: opts.imageSize ?? readImageSize,
        ...(opts.fallbackFps ? { fallbacks: { fps: opts.fallbackFps } } : {}),
      },
      at,
    );

  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0 || !parsed.success) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, timeline: parsed.data, warnings: sortProblems(problems) };
}

/** A scene id used twice (an error), or twice in different letter case (a warning). */
function checkSceneId(
  s: Record<string, unknown>,
  i: number,
  scenes: unknown[],
  firstSeen: Map<string, number>,
  at: V2Reporter,
): void {
  if (typeof s.id === 'string') {
    const prev = firstSeen.get(s.id.toLowerCase());
    const prevId = prev === undefined ? undefined : (scenes[prev] as { id?: unknown }).id;
    if (prev === undefined) firstSeen.set(s.id.toLowerCase(), i);
    else if (prevId === s.id)
      at(
        'error',
        'duplicate-scene-id',
        `Scene id "${s.id}" is used twice (also by scenes[${prev}]). Scene ids must be unique: their renders go to a folder named after the id.`,
        ['scenes', i, 'id'],
      );
    else
      at(
        'warning',
        'duplicate-scene-id',
        `Scene id "${s.id}" differs from scenes[${prev}]'s "${String(prevId)}" only in letter case: on Windows and macOS their renders share one folder. Rename one of them.`,
        ['scenes', i, 'id'],
      );
  }
}

/** Length checks: frames and seconds together, seconds beyond the model's range, frame counts it cannot render. */
function checkSceneLength(
  s: Record<string, unknown>,
  i: number,
  defaults: Record<string, unknown>,
  opts: ParseOptions,
  at: V2Reporter,
): void {
  const overrides = (typeof s.overrides === 'object' && s.overrides !== null ? s.overrides : {}) as Record<
    string,
    unknown
  >;
  if (s.frames !== undefined && s.seconds !== undefined)
    at('error', 'length-conflict', `scenes[${i}] gives both "frames" and "seconds": keep one of them.`, [
      'scenes',
      i,
      'seconds',
    ]);
  else if (overrides.numFrames !== undefined && (s.frames !== undefined || s.seconds !== undefined))
    at(
      'warning',
      'length-conflict',
      `scenes[${i}].overrides.numFrames replaces the scene's "${s.frames !== undefined ? 'frames' : 'seconds'}": keep one of them.`,
      ['scenes', i, 'overrides', 'numFrames'],
    );
  if (typeof s.seconds === 'number' && s.seconds > 0 && s.frames === undefined && overrides.numFrames === undefined) {
    // Same rounding as resolve.ts (framesForSeconds), without its clamping, so nothing is cut silently.
    const fpsRaw = typeof overrides.fps === 'number' ? overrides.fps : defaults.fps;
    const fps = typeof fpsRaw === 'number' && fpsRaw > 0 ? fpsRaw : (opts.fallbackFps ?? NATIVE.fps);
    const frames = Math.round((s.seconds * fps) / 4) * 4 + 1;
    const maxSeconds = Math.floor(((MAX_FRAMES - 1) / fps) * 100) / 100;
    if (frames > MAX_FRAMES)
      at(
        'error',
        'invalid-length',
        `scenes[${i}].seconds: ${s.seconds} s at ${fps} fps is ${frames} frames, more than the ${MAX_FRAMES} the model renders in one clip (at most ${maxSeconds} s at ${fps} fps; 121 frames = 5 s at 24 fps). Split the scene into shorter ones.`,
        ['scenes', i, 'seconds'],
      );
    else if (frames < MIN_FRAMES)
      at(
        'warning',
        'invalid-length',
        `scenes[${i}].seconds: ${s.seconds} s at ${fps} fps is shorter than the model's ${MIN_FRAMES}-frame minimum; it renders ${MIN_FRAMES} frames.`,
        ['scenes', i, 'seconds'],
      );
  }
  for (const [p, v] of [
    [['scenes', i, 'frames'], s.frames],
    [['scenes', i, 'overrides', 'numFrames'], (s.overrides as Record<string, unknown> | undefined)?.numFrames],
  ] as const) {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 5 && v <= 241 && !isValidFrameCount(v))
      at('error', 'invalid-frames', `${pathLabel([...p])}: ${describeFramesProblem(v)}`, [...p]);
  }
}

/** A scene's keyframe: outside the timeline's folder, missing, or not an image the providers read. */
function checkSceneKeyframe(
  s: Record<string, unknown>,
  i: number,
  opts: ParseOptions,
  fileExists: (p: string) => boolean,
  at: V2Reporter,
): void {
  if (typeof s.keyframe !== 'string' || s.keyframe.length === 0) return;
  const abs = resolveKeyframePath(opts.timelineFile, s.keyframe);
  const foreignAbsolute = path.sep === '/' ? /^([A-Za-z]:[\\/]|\\\\)/.test(s.keyframe) : false;
  const hint = foreignAbsolute
    ? ' It is an absolute Windows path, which does not exist on this machine: write it relative to the timeline file instead (e.g. "keyframes/shot.png").'
    : ' Paths are relative to the timeline file.';
  const name = `Keyframe "${s.keyframe}" of scene "${idText(s.id, i)}"`;
  const escape = keyframeEscape(opts.timelineFile, abs, opts.realPath ?? defaultRealPath);
  const head = fileExists(abs) ? (opts.readHead ?? defaultReadHead)(abs) : undefined;
  if (escape) {
    const severity = opts.keyframesOutside ?? 'warning';
    const why =
      severity === 'error'
        ? ' This workspace is not trusted, so it is an error: trust the workspace, or'
        : ' If that is not what you meant,';
    at(
      severity,
      'keyframe-outside',
      `${name} leads outside the timeline's folder (to ${escape}).${why} copy the image into the timeline's folder and refer to it from there.`,
      ['scenes', i, 'keyframe'],
    );
  }
  if (!fileExists(abs))
    at('error', 'keyframe-missing', `${name} does not exist (looked for ${abs}).${hint}`, ['scenes', i, 'keyframe']);
  else if (head && !imageFormatOf(head))
    at(
      'error',
      'keyframe-format',
      `${name} is not a PNG, JPEG or WebP image by its content (whatever its name says), so it would not be sent to a provider.`,
      ['scenes', i, 'keyframe'],
    );
  else if (!/\.(png|jpe?g|webp)$/i.test(s.keyframe))
    at(
      'warning',
      'keyframe-format',
      `${name} is not a .png, .jpg or .webp file; the providers read PNG, JPEG and WebP.`,
      ['scenes', i, 'keyframe'],
    );
}

function semanticChecks(
  data: Record<string, unknown>,
  opts: ParseOptions,
  fileExists: (p: string) => boolean,
  at: V2Reporter,
): void {
  const defaults = (typeof data.defaults === 'object' && data.defaults !== null ? data.defaults : {}) as Record<
    string,
    unknown
  >;
  if (
    typeof defaults.numFrames === 'number' &&
    Number.isInteger(defaults.numFrames) &&
    !isValidFrameCount(defaults.numFrames) &&
    defaults.numFrames >= 5 &&
    defaults.numFrames <= 241
  )
    at('error', 'invalid-frames', `defaults.numFrames: ${describeFramesProblem(defaults.numFrames)}`, [
      'defaults',
      'numFrames',
    ]);

  const scenes = Array.isArray(data.scenes) ? data.scenes : [];
  if (Array.isArray(data.scenes) && scenes.length === 0)
    at('warning', 'no-scenes', 'The timeline has no scenes yet: add one to "scenes" to render it.', ['scenes']);
  const firstSeen = new Map<string, number>();
  scenes.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object') return;
    const s = raw as Record<string, unknown>;
    checkSceneId(s, i, scenes, firstSeen, at);
    checkSceneLength(s, i, defaults, opts, at);
    checkSceneKeyframe(s, i, opts, fileExists, at);
  });
}

/** JSON.parse keeps the last of two equal keys; say so, since the first one is silently ignored. */
function duplicateKeys(root: Node, at: V2Reporter): void {
  const stack: Node[] = [root];
  let reported = 0;
  while (stack.length > 0 && reported < 50) {
    const node = stack.pop() as Node;
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const keyNode = prop.children?.[0];
        const key = keyNode?.value;
        if (typeof key !== 'string') continue;
        if (seen.has(key)) {
          const p = getNodePath(prop.children?.[1] ?? prop);
          at(
            'warning',
            'duplicate-key',
            `"${key}" appears twice in ${pathLabel(p.slice(0, -1))}: only the last one counts. Remove the other.`,
            p,
            key,
            keyNode,
          );
          reported++;
        }
        seen.add(key);
      }
    }
    for (const c of node.children ?? []) stack.push(c);
  }
}

function sortProblems(ps: TimelineProblem[]): TimelineProblem[] {
  return [...ps].sort((a, b) => a.line - b.line || a.column - b.column);
}

function humanParseError(code: string): string {
  const map: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'invalid number',
    PropertyNameExpected: 'a property name in double quotes was expected',
    ValueExpected: 'a value was expected',
    ColonExpected: 'a colon was expected',
    CommaExpected: 'a comma was expected',
    CloseBraceExpected: 'a closing } was expected',
    CloseBracketExpected: 'a closing ] was expected',
    EndOfFileExpected: 'nothing may follow the top-level object',
    InvalidCommentToken: 'comments are not allowed in a timeline (plain JSON)',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character in a string',
  };
  return map[code] ?? code;
}

function defaultRealPath(p: string): string | undefined {
  try {
    return realpathSync.native(p);
  } catch {
    return undefined;
  }
}

function defaultReadHead(p: string): Uint8Array | undefined {
  try {
    const fd = openSync(p, 'r');
    try {
      const buf = Buffer.alloc(12);
      return buf.subarray(0, readSync(fd, buf, 0, 12, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** The offset where nesting first exceeds `max` levels, outside strings; undefined if it never does. */
function tooDeepAt(text: string, max: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/**
 * A timeline file's bytes as text, or the reason they are not UTF-8 with where it shows. Decoding
 * with replacement characters would put them into prompts unseen.
 */
export function decodeTimelineBytes(
  buf: Uint8Array,
): { ok: true; text: string } | { ok: false; message: string; offset: number; line: number; column: number } {
  const at = (offset: number, message: (where: string) => string) => {
    const before = new TextDecoder('utf-8').decode(buf.subarray(0, offset));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return {
      ok: false as const,
      message: message(`byte ${offset} (line ${line}, column ${column})`),
      offset,
      line,
      column,
    };
  };
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))
    return at(
      0,
      () =>
        `The timeline is UTF-16 (${buf[0] === 0xff ? 'little' : 'big'}-endian) text, found by its byte order mark at its start; save it as UTF-8.`,
    );
  const nul = buf.subarray(0, 4096).indexOf(0);
  if (nul >= 0)
    return at(
      nul,
      (where) =>
        `The timeline contains a NUL byte at ${where}: it is UTF-16 or binary, not UTF-8 text. Save it as UTF-8.`,
    );
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(buf) };
  } catch {
    const bad = firstInvalidUtf8(buf);
    return at(
      bad,
      (where) =>
        `The timeline is not valid UTF-8: byte 0x${(buf[bad] ?? 0).toString(16).padStart(2, '0')} at ${where} cannot start or continue a character. Save it as UTF-8.`,
    );
  }
}

/** The problem for a file decodeTimelineBytes refused, at the offending byte. */
export function encodingProblem(d: { message: string; line: number; column: number }): TimelineProblem {
  return {
    code: 'encoding',
    message: d.message,
    severity: 'error',
    path: [],
    line: d.line,
    column: d.column,
    endLine: d.line,
    endColumn: d.column + 1,
  };
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] ?? 0;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    // Overlong three/four-byte forms, surrogates and code points past U+10FFFF.
    const c1 = b[i + 1] ?? 0;
    if (
      (c === 0xe0 && c1 < 0xa0) ||
      (c === 0xed && c1 >= 0xa0) ||
      (c === 0xf0 && c1 < 0x90) ||
      (c === 0xf4 && c1 >= 0x90)
    )
      return i;
    i += n + 1;
  }
  return b.length;
}

function defaultFileExists(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}

export async function loadTimelineFile(
  file: string,
  opts: Omit<ParseOptions, 'timelineFile'> = {},
): Promise<LoadResult> {
  const abs = path.resolve(file);
  const fail = (code: string, message: string): LoadResult => ({
    ok: false,
    problems: [{ code, message, severity: 'error', path: [], line: 1, column: 1, endLine: 1, endColumn: 1 }],
  });
  try {
    const st = await stat(abs);
    if (!st.isFile()) return fail('not-a-file', `${abs} is not a file.`);
    if (st.size > MAX_TIMELINE_BYTES)
      return fail(
        'too-large',
        `${abs} is ${st.size} bytes; timelines larger than ${MAX_TIMELINE_BYTES} bytes are refused.`,
      );
    const bytes = await readFile(abs);
    const decoded = decodeTimelineBytes(bytes);
    if (!decoded.ok) return { ok: false, problems: [encodingProblem(decoded)] };
    return parseTimeline(decoded.text.replace(/^\uFEFF/, ''), { timelineFile: abs, ...opts });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail('not-found', `Timeline file ${abs} does not exist.`);
    return fail('unreadable', `Cannot read ${abs}: ${(e as Error).message}`);
  }
}
