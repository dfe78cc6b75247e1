/**
 * `scene-to-video import <gemDirect1 file> [--out DIR]`: a project export, story or scene file to
 * `<DIR>/<name>.timeline.json` with its keyframes under `<DIR>/keyframes/` (and workflows under
 * `<DIR>/workflows/`), then one report of every field that had nowhere to go. Nothing existing is
 * replaced: a taken name gets a number. Also `gemDirectHint()`, which `validate` uses to say
 * "this is a gemDirect1 file: import it" instead of listing schema errors.
 */
import { readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { toStvError } from '../core/errors';
import { writeJsonAtomic } from '../core/render/artifacts';
import { detectShape, importGemDirect, type GemDirectShape } from '../core/timeline/import/gemdirect';
import { importReport } from '../core/timeline/import/report';
import { writeNewFile } from '../core/timeline/import/images';
import { parseTimeline } from '../core/timeline/load';
import { EXIT, type CliContext } from './context';

const SHAPE_WORDS: Record<GemDirectShape, string> = {
  project: 'project export',
  story: 'story file',
  scene: 'scene file',
};

export async function importCommand(
  file: string,
  outDir: string | undefined,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const source = path.resolve(file);
  let data: unknown;
  try {
    data = JSON.parse((await readFile(source, 'utf8')).replace(/^\uFEFF/, '')) as unknown;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    err(code === 'ENOENT' ? `${file} does not exist.` : `${file} is not valid JSON: ${(e as Error).message}`);
    return 2;
  }
  const dir = path.resolve(outDir ?? path.dirname(source));
  const base =
    path
      .basename(source)
      .replace(/\.json$/i, '')
      .replace(/[^A-Za-z0-9._-]+/g, '-') || 'imported';
  let target: string | undefined;
  try {
    // Reserve a new name first (never an existing timeline), then fill it.
    target = await writeNewFile(dir, base, '.timeline.json', Buffer.from('{}'));
    const r = await importGemDirect(data, { sourceFile: source, targetTimelineFile: target });
    await writeJsonAtomic(target, r.timeline);
    // Relative to where the user is when that is shorter to read; a path that climbs out ("../../tmp/…") is shown whole.
    const shown = path.relative(process.cwd(), target);
    for (const l of importReport(shown && !shown.startsWith('..') ? shown : target, r)) out(l);
    const check = parseTimeline(JSON.stringify(r.timeline), { timelineFile: target });
    if (!check.ok) for (const p of check.problems) err(`${target}:${p.line}:${p.column}: ${p.severity}: ${p.message}`);
    else for (const w of check.warnings) err(`${target}: warning: ${w.message}`);
    return check.ok ? 0 : 2;
  } catch (e) {
    if (target) await rm(target, { force: true }); // the reserved name held only a placeholder
    const se = toStvError(e);
    err(`[${se.code}] ${se.message}${se.hint ? `\nhint: ${se.hint}` : ''}`);
    return 2;
  }
}

/**
 * When `file` is a gemDirect1 file rather than a timeline, the sentence that says so and gives the
 * import command; undefined for anything else (a timeline, broken JSON, another JSON file).
 */
export async function gemDirectHint(file: string): Promise<string | undefined> {
  let data: unknown;
  try {
    data = JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, '')) as unknown;
  } catch {
    return undefined;
  }
  const v = (data as { version?: unknown } | null)?.version;
  // A timeline (version 1 or 2, with a title) is never taken for one, even a broken one.
  if (data && typeof data === 'object' && (v === 1 || v === 2) && 'title' in data) return undefined;
  const shape = detectShape(data);
  if (!shape) return undefined;
  const quoted = /\s/.test(file) ? JSON.stringify(file) : file;
  return `${file} is a gemDirect1 ${SHAPE_WORDS[shape]}, not a Scene to Video timeline. Import it with:\n  scene-to-video import ${quoted} [--out DIR]\nwhich writes <name>.timeline.json and its keyframes/ beside it.`;
}

/** `import` as main() dispatches it. */
export async function importCli({ positionals, o, io, err, usage }: CliContext): Promise<number> {
  const source = positionals[0];
  if (!source) {
    err(`Name a gemDirect1 project export, story or scene file to import.\n\n${usage}`);
    return EXIT.badInput;
  }
  return importCommand(source, o.out ?? o.output, (l) => io.stdout.write(`${l}\n`), err);
}
