/**
 * The import graph of src/ has no cycles (issue 10). A runtime cycle makes a module's exports
 * undefined while the other one loads, depending on which is imported first; a type-only cycle
 * is harmless at run time but ties two files together that should have one direction, so both
 * are checked. Imports are read with the TypeScript parser, without type information: an import
 * without the `type` keyword counts as a runtime import even where the compiler would elide it,
 * which is the stricter reading.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** One module's relative imports (and re-exports): target file and whether only types flow. */
interface Edge {
  readonly to: string;
  readonly typeOnly: boolean;
}

function edgesOf(file: string): Edge[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const out: Edge[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean): void => {
    if (spec === undefined || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) return;
    out.push({ to: resolve(dirname(file), spec.text.replace(/\.js$/, '.ts')), typeOnly });
  };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      let typeOnly = clause?.phaseModifier === ts.SyntaxKind.TypeKeyword;
      const named = clause?.namedBindings;
      // `import { type A, type B } from` carries no value either.
      if (
        !typeOnly &&
        clause?.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named)
      )
        typeOnly = named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      add(st.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(st)) {
      let typeOnly = st.isTypeOnly;
      const clause = st.exportClause;
      if (!typeOnly && clause !== undefined && ts.isNamedExports(clause))
        typeOnly = clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
      add(st.moduleSpecifier, typeOnly);
    }
  }
  return out;
}

/** The strongly connected components with more than one file (Tarjan), as relative paths. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(relative(root, w));
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const files = sources(src);
const edges = new Map(files.map((f) => [f, edgesOf(f)]));

test('src/ has no runtime import cycle', () => {
  const graph = new Map(
    files.map((f) => [
      f,
      edges
        .get(f)!
        .filter((e) => !e.typeOnly)
        .map((e) => e.to),
    ]),
  );
  assert.deepEqual(cycles(graph), []);
});

test('src/ has no import cycle through type-only imports either', () => {
  const graph = new Map(files.map((f) => [f, edges.get(f)!.map((e) => e.to)]));
  assert.deepEqual(cycles(graph), []);
});

test('the cycle check finds a cycle when there is one', () => {
  const a = join(src, 'a.ts');
  const b = join(src, 'b.ts');
  const c = join(src, 'c.ts');
  const found = cycles(
    new Map([
      [a, [b]],
      [b, [a, c]],
      [c, []],
    ]),
  );
  assert.deepEqual(found, [['src/a.ts', 'src/b.ts']]);
});
