/**
 * The single edit that turns `before` into `after`: the changed middle only, so the cursor, the
 * marks and the rest of the document stay where they were, and one undo takes the whole change back.
 */
export function minimalEdit(before: string, after: string): { start: number; end: number; text: string } {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let tail = 0;
  while (
    tail < before.length - start &&
    tail < after.length - start &&
    before[before.length - 1 - tail] === after[after.length - 1 - tail]
  )
    tail++;
  return { start, end: before.length - tail, text: after.slice(start, after.length - tail) };
}
