import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** The rules of the house (README, "Layout"), read from the source itself. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

const files = sourceFiles(src);
const rel = (file: string): string => relative(src, file).split('\\').join('/');

/** Every internal import of a file, static, dynamic and type-only alike. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((i) => i.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => rel(resolve(dirname(file), name).replace(/\.js$/, '.ts')));
}

const graph = new Map(files.map((f) => [rel(f), importsOf(f)]));
/** A module's folder: its first path segment (`cli`, `config`, …; `errors.ts` is its own). */
const folderOf = (path: string): string => path.split('/')[0] ?? path;

/** Every cycle of a graph, as the path that closes it (one per strongly connected part). */
function cycles(edges: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('the layout of src', () => {
  it('every internal import resolves to a file of src', () => {
    const missing = [...graph].flatMap(([from, to]) =>
      to.filter((t) => !graph.has(t)).map((t) => `${from} → ${t}`),
    );
    expect(missing).toEqual([]);
  });

  it('has no import cycle between files, type imports included', () => {
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('has no import cycle between the folders of src', () => {
    const folders = new Map<string, string[]>();
    for (const [from, to] of graph) {
      const a = folderOf(from);
      const targets = folders.get(a) ?? [];
      for (const t of to) if (folderOf(t) !== a && !targets.includes(folderOf(t))) targets.push(folderOf(t));
      folders.set(a, targets);
    }
    expect(cycles(folders).map((c) => c.join(' → '))).toEqual([]);
  });

  it('keeps every source file under about 450 lines', () => {
    const long = files
      .map((f) => ({ file: rel(f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((f) => f.lines > 460)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(long).toEqual([]);
  });

  it('keeps every function a reader can hold in their head (80 lines at most)', () => {
    const limit = 80;
    /** Declarations, methods, accessors, constructors, arrows and function expressions; overload signatures have no body. */
    const isFunctionWithBody = (node: ts.Node): node is ts.FunctionLikeDeclaration =>
      (ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isGetAccessorDeclaration(node) ||
        ts.isSetAccessorDeclaration(node) ||
        ts.isConstructorDeclaration(node) ||
        ts.isArrowFunction(node) ||
        ts.isFunctionExpression(node)) &&
      node.body !== undefined;
    /** The name a reader would search for: the declared name, or the variable/property an arrow is bound to. */
    const nameOf = (node: ts.FunctionLikeDeclaration): string => {
      if (ts.isConstructorDeclaration(node)) return 'constructor';
      if (node.name !== undefined) return node.name.getText();
      const parent = node.parent;
      if (
        ts.isVariableDeclaration(parent) ||
        ts.isPropertyAssignment(parent) ||
        ts.isPropertyDeclaration(parent)
      )
        return parent.name.getText();
      return '(anonymous)';
    };
    const long = files.flatMap((file) => {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const found: string[] = [];
      const visit = (node: ts.Node): void => {
        if (isFunctionWithBody(node)) {
          const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          const last = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
          const lines = last - first + 1;
          if (lines > limit) found.push(`${rel(file)}:${first} ${nameOf(node)} (${lines} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
      return found;
    });
    expect(long).toEqual([]);
  });

  it('calls process.exit in one file at most, and bin/ never does', () => {
    const exits = files.filter((f) => /process\.exit\(/.test(readFileSync(f, 'utf8'))).map(rel);
    expect(exits.length).toBeLessThanOrEqual(1);
    expect(readFileSync(join(root, 'bin/adsync.js'), 'utf8')).not.toMatch(/process\.exit\(/);
  });

  it('only src/cli writes to the terminal', () => {
    const writers = files
      .filter((f) => !rel(f).startsWith('cli/'))
      .filter((f) =>
        /process\.(stdout|stderr)\.write|console\.(log|error|warn|info)\(/.test(readFileSync(f, 'utf8')),
      )
      .map(rel);
    expect(writers).toEqual([]);
  });

  it('ships no test oracle', () => {
    const oracles = files
      .filter((f) =>
        /export (async )?(function|class) (computePlan|MemoryStore|findDuplicates)\b/.test(
          readFileSync(f, 'utf8'),
        ),
      )
      .map(rel);
    expect(oracles).toEqual([]);
  });

  it('names a vendor only in src/vendors, and delivers only through src/targets', () => {
    // The mock vendor plays both vendors: naming them is its job.
    const outside = (f: string): boolean => !/^(vendors|mock-server)\//.test(rel(f));
    const named = files
      .filter(outside)
      .flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/'(receptionist|ilobby)'|\bprofile\s*[!=]==\s*'/g)].map(
          (m) => `${rel(f)}: ${m[0]}`,
        ),
      );
    expect(named).toEqual([]);
    // The pipeline asks its target to deliver; the upload adapter is the csv-upload target's.
    const uploads = [...graph]
      .filter(([from]) => folderOf(from) === 'pipeline')
      .flatMap(([from, to]) => to.filter((t) => folderOf(t) === 'upload').map((t) => `${from} → ${t}`));
    expect(uploads).toEqual([]);
  });

  it('reads command-line options typed by their declarations, never through an opts<T>() cast', () => {
    const casts = files.filter((f) => /\bopts(?:WithGlobals)?</.test(readFileSync(f, 'utf8'))).map(rel);
    expect(casts).toEqual([]);
  });

  it('turns file URLs into paths with fileURLToPath, never URL.pathname (/C:/… on Windows)', () => {
    const everywhere = ['src', 'test', 'scripts'].flatMap((d) => sourceFiles(join(root, d)));
    const misuse = everywhere
      .filter((f) => /import\.meta\.url\)\s*\.pathname/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    expect(misuse).toEqual([]);
  });

  it('names every file in kebab-case', () => {
    expect(files.map(rel).filter((f) => !/^[a-z0-9/-]+(\.[a-z0-9-]+)*\.ts$/.test(f))).toEqual([]);
  });

  it('keeps each kind of directory source in its folder, and the README names every folder', () => {
    // A kind named outside its folder: a scheme, the ldif kind, or a test of a kind or flavour.
    const kindSpecific = [
      /\b(ldaps?|ldif):\/\/|['"`]ldif:/,
      /['"`]ldif['"`]/,
      /\b(kind|flavor)\s*[!=]==?\s*['"`](ad|ldap|ldif)['"`]/,
      /['"`](ad|ldap|ldif)['"`]\s*[!=]==?\s*[\w.]*\b(kind|flavor)\b/,
      /\bcase\s+['"`](ad|ldap|ldif)['"`]/,
    ];
    const sourceFolder = /^directory\/[^/]+\//;
    const registry = 'directory/source.ts';
    const outside = files
      .map(rel)
      .filter((f) => !sourceFolder.test(f) && f !== registry)
      .flatMap((f) => {
        const text = readFileSync(join(src, f), 'utf8');
        return kindSpecific
          .filter((pattern) => pattern.test(text))
          .map((pattern) => `${f}: ${pattern.source}`);
      });
    expect(outside).toEqual([]);

    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const layout = /## Layout\s+```([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const folders = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    // The directory's entry (up to the next folder's) names each source folder.
    const directoryEntry = /^src\/directory\/[\s\S]*?(?=^src\/)/m.exec(layout)?.[0] ?? '';
    const unnamed = [
      ...folders(src).filter((d) => !layout.includes(`src/${d}/`)),
      ...folders(join(src, 'directory'))
        .filter((d) => !new RegExp(`\\b${d}/`).test(directoryEntry))
        .map((d) => `directory/${d}`),
    ];
    expect(unnamed).toEqual([]);
  });
});
