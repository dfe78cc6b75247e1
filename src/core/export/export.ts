/** Writes a cut plan for an editor (OTIO, CMX 3600 EDL, FCP 7 XML) as a new file, never replacing one. */
import { randomUUID } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { StvError } from '../errors';
import type { CutPlan } from '../assembly/plan';
import { toEdl } from './edl';
import { toFcpXml } from './fcpxml';
import { toOtio } from './otio';

export const EXPORT_FORMATS = ['otio', 'edl', 'fcpxml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
const EXT: Record<ExportFormat, string> = { otio: '.otio', edl: '.edl', fcpxml: '.xml' };

export async function renderExport(plan: CutPlan, format: ExportFormat): Promise<string> {
  return format === 'otio'
    ? toOtio(plan, await Promise.all(plan.clips.map((c) => c.sha256)))
    : format === 'edl'
      ? toEdl(plan)
      : toFcpXml(plan);
}

/** Writes `out` (default: beside the timeline, `<name>.<ext>`, then `<name>_1.<ext>`...) atomically. */
export async function exportCut(plan: CutPlan, format: ExportFormat, out?: string): Promise<string> {
  const text = await renderExport(plan, format);
  const base =
    out ??
    path.join(
      path.dirname(plan.timelineFile),
      'films',
      path.basename(plan.timelineFile).replace(/\.timeline\.json$|\.json$/i, '') + EXT[format],
    );
  await mkdir(path.dirname(base), { recursive: true });
  const tmp = path.join(path.dirname(base), `.stv-${randomUUID()}.part`);
  await writeFile(tmp, text, { flag: 'wx' });
  try {
    for (let n = 0; n < 1000; n++) {
      const target = n === 0 ? base : base.replace(/(\.[^./\\]+)?$/, `_${n}$1`);
      try {
        await link(tmp, target);
        return target;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (out)
          throw new StvError(
            'OUTPUT_EXISTS',
            `${out} exists already; exports never replace a file.`,
            'Name another file with --out, or move the old one away.',
          );
      }
    }
    throw new StvError('OUTPUT_EXISTS', `No free name for ${base}.`);
  } finally {
    await rm(tmp, { force: true });
  }
}
