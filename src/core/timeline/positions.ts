/** Offsets → 1-based line/column, and JSON paths → source ranges, for problems users can jump to. */
import { findNodeAtLocation, type Node } from 'jsonc-parser';

export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export class LineIndex {
  private readonly starts: number[] = [0];
  /** Offset where each line's text ends (before its line break). */
  private readonly ends: number[] = [];
  private readonly length: number;
  /** Lines end at \n, \r\n or a lone \r, as in VS Code's text model (old Mac files use \r alone). */
  constructor(text: string) {
    this.length = text.length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.ends.push(i);
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      this.starts.push(i + 1);
    }
    this.ends.push(text.length);
  }
  /** 1-based line and column of a 0-based offset; always a position inside the text. */
  position(offset: number): { line: number; column: number } {
    const at = Math.min(Math.max(0, Math.trunc(offset) || 0), this.length);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= at) lo = mid;
      else hi = mid - 1;
    }
    const start = this.starts[lo] ?? 0;
    // An offset inside a \r\n pair is the end of its line.
    return { line: lo + 1, column: Math.min(at, this.ends[lo] ?? at) - start + 1 };
  }
  range(offset: number, length: number): SourceRange {
    const a = this.position(offset);
    const b = this.position(offset + Math.max(length, 0));
    return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }
}

/**
 * The node for `path`, or the deepest existing ancestor (a missing property is reported on the
 * object that should hold it). With `key`, the property's key node instead of its value.
 */
export function nodeForPath(root: Node | undefined, path: (string | number)[], key?: string): Node | undefined {
  if (!root) return undefined;
  if (key !== undefined) {
    // `path` ends with the key itself: the property lives on the parent object.
    const obj = findNodeAtLocation(root, path[path.length - 1] === key ? path.slice(0, -1) : path);
    const prop = obj?.children?.find((p) => p.type === 'property' && p.children?.[0]?.value === key);
    if (prop?.children?.[0]) return prop.children[0];
  }
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, path.slice(0, n));
    if (node) return node;
  }
  return root;
}
