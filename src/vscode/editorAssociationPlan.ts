/**
 * What `sceneToVideo.openTimelinesInEditor` makes of the user's `workbench.editorAssociations`,
 * without `vscode` so it is unit-tested: the association for *.timeline.json is ours exactly when
 * the setting is on; every other association, and one for the pattern the user set to another
 * editor while the setting is off, is left alone.
 */

export const TIMELINE_PATTERN = '*.timeline.json';

/**
 * The associations to write for the setting, or undefined when they already agree with it (nothing
 * to write: activation runs this in every window, and each write would touch the user's settings).
 */
export function associationsFor(
  on: boolean,
  current: Readonly<Record<string, string>> | undefined,
  viewType: string,
): Record<string, string> | undefined {
  const now = current ?? {};
  const ours = now[TIMELINE_PATTERN] === viewType;
  if (on === ours) return undefined;
  const next = Object.fromEntries(Object.entries(now).filter(([k]) => k !== TIMELINE_PATTERN));
  if (on) next[TIMELINE_PATTERN] = viewType;
  return next;
}
