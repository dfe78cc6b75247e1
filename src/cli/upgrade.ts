/** `scene-to-video upgrade <timeline.json>`: rewrites a version 1 timeline as version 2 (core/timeline/upgrade.ts). */
import { toStvError } from '../core/errors';
import { upgradeTimelineFile } from '../core/timeline/upgrade';

export async function upgradeCommand(
  file: string,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  try {
    const r = await upgradeTimelineFile(file);
    if (!r.changed) out(`${file} is version 2 already; nothing changed.`);
    else out(`${file}: upgraded to version 2 (${r.changes.join('; ')}).`);
    return 0;
  } catch (e) {
    const se = toStvError(e);
    const code = (e as NodeJS.ErrnoException).code;
    err(
      code === 'ENOENT'
        ? `${file} does not exist.`
        : `[${se.code}] ${se.message}${se.hint ? `\nhint: ${se.hint}` : ''}`,
    );
    return 2;
  }
}
