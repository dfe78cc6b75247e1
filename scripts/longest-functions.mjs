#!/usr/bin/env node
// Lists the longest functions of the extension (src/**/*.ts, through the TypeScript compiler's own
// parser) and of the adapter (python/stv_adapter/**/*.py, through Python's ast), so a code-health
// review can compare trees: `node scripts/longest-functions.mjs [ROOT] [--top N]`. ROOT defaults to
// this clone; point it at an older tree (`git archive <commit> src python | tar -x -C DIR`) to get
// the "before" list. Two counts per function: `lines`, first to last line, and `counted`, without
// blank and comment-only lines, which is what ESLint's max-lines-per-function (skipBlankLines,
// skipComments) and python/tests/test_code_health.py limit to 80.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 10;
const rootArg = args.find((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1));
const root = path.resolve(rootArg ?? path.join(here, '..'));

function* walk(dir, ext) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full, ext);
    else if (entry.name.endsWith(ext) && !entry.name.endsWith('.d.ts')) yield full;
  }
}

// Lines with code: not blank and not only a comment (the same rule as ESLint's skipComments, for
// the comment forms this code base uses: //, /* ... */ and JSDoc's leading *).
function countedLines(lines) {
  let inBlock = false;
  let n = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (inBlock) {
      if (line.includes('*/')) inBlock = false;
      const after = line.slice(line.indexOf('*/') + 2).trim();
      if (!inBlock && after && !after.startsWith('//')) n++;
      continue;
    }
    if (!line || line.startsWith('//')) continue;
    if (line.startsWith('/*')) {
      inBlock = !line.includes('*/');
      continue;
    }
    n++;
  }
  return n;
}

function functionName(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (
    parent &&
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
  ) {
    if (ts.isIdentifier(parent.name) || ts.isStringLiteral(parent.name)) return parent.name.text;
  }
  return '<anonymous>';
}

// The enclosing class or function, so `follow` reads as `PromptFollower.follow`.
function qualifiedName(node) {
  const name = functionName(node);
  for (let p = node.parent; p; p = p.parent) {
    if (ts.isClassDeclaration(p) && p.name) return `${p.name.text}.${name}`;
    if (ts.isFunctionLike(p) && p !== node) return `${qualifiedName(p)} > ${name}`;
  }
  return name;
}

function tsFunctions(srcDir) {
  const found = [];
  for (const file of walk(srcDir, '.ts')) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const lines = text.split('\n');
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        found.push({
          name: qualifiedName(node),
          file: path.relative(root, file),
          line: first + 1,
          lines: last - first + 1,
          counted: countedLines(lines.slice(first, last + 1)),
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

const PYTHON_LISTER = `
import ast, json, pathlib, sys
root, pkg = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out = []
for path in sorted(pkg.rglob("*.py")):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        names, p = [node.name], parents.get(node)
        while p is not None:
            if isinstance(p, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                names.insert(0, p.name)
            p = parents.get(p)
        body = lines[node.lineno - 1 : node.end_lineno]
        counted = sum(1 for l in body if l.strip() and not l.strip().startswith("#"))
        out.append({"name": ".".join(names), "file": str(path.relative_to(root)), "line": node.lineno,
                    "lines": node.end_lineno - node.lineno + 1, "counted": counted})
print(json.dumps(out))
`;

function pyFunctions(pkgDir) {
  if (!existsSync(pkgDir)) return [];
  const run = spawnSync('python3', ['-c', PYTHON_LISTER, root, pkgDir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 could not list ${pkgDir}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function print(title, functions) {
  console.log(`\n${title} (top ${top} by lines, first to last; counted = without blank and comment lines)`);
  const rows = functions.sort((a, b) => b.lines - a.lines).slice(0, top);
  for (const f of rows) {
    console.log(`${String(f.lines).padStart(5)} ${String(f.counted).padStart(7)}  ${f.name}  ${f.file}:${f.line}`);
  }
  const over = functions.filter((f) => f.counted > 80).length;
  console.log(`functions: ${functions.length}; over 80 counted lines: ${over}`);
}

console.log(`tree: ${root}`);
console.log('lines counted  function  file:line');
print('TypeScript, src/', tsFunctions(path.join(root, 'src')));
print('Python, python/stv_adapter/', pyFunctions(path.join(root, 'python', 'stv_adapter')));
