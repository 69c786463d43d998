/**
 * Files that ship with adsync (package.json, the demo's sample data…), read the same way whether
 * adsync runs from a checkout (dist/ or src/ under vitest), from an npm install, or as the
 * single executable built by scripts/build-sea.mjs.
 *
 * Why not `new URL('../../x', import.meta.url)`: inside the single executable there is no package
 * directory beside the code (the bundle is CommonJS, `import.meta.url` is empty, and the files
 * are SEA assets in the executable itself). Every file is named by its path relative to the
 * package root with forward slashes (`examples/demo/people.ldif`); the SEA build stores each
 * under exactly that asset key.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as sea from 'node:sea';
import { fileURLToPath } from 'node:url';
import { makeDir } from '../io/make-dir.js';

/** Whether this process is the single-executable build of adsync. */
export function isSingleExecutable(): boolean {
  return sea.isSea();
}

/** The package root (the directory holding package.json); only meaningful outside a SEA. */
function packageRoot(): string {
  // dist/runtime/assets.js and src/runtime/assets.ts are both two levels below the root.
  return fileURLToPath(new URL('../../', import.meta.url));
}

/**
 * The URL of one of adsync's own built modules, for a worker thread to run; none inside the
 * single executable (one bundle, no module files) or when adsync runs from its TypeScript
 * sources (vitest), where the caller does the work in its own thread instead.
 * @param path the module's path under dist/ (`directory/ldap/search-worker.js`)
 */
export function builtModule(path: string): URL | undefined {
  if (sea.isSea() || !import.meta.url.endsWith('.js')) return undefined;
  // dist/runtime/assets.js is one level below dist/.
  return new URL(`../${checkName(path)}`, import.meta.url);
}

/** Reject absolute paths, backslashes and `..`: bundled names are plain package-relative keys. */
function checkName(path: string): string {
  const parts = path.split('/');
  if (
    path === '' ||
    path.startsWith('/') ||
    path.includes('\\') ||
    /^[A-Za-z]:/.test(path) ||
    parts.some((p) => p === '..' || p === '.' || p === '')
  ) {
    throw new TypeError(`not a package-relative path: ${JSON.stringify(path)}`);
  }
  return path;
}

function notFound(path: string, cause?: unknown): Error {
  const where = sea.isSea() ? 'inside the single executable' : `under ${packageRoot()}`;
  const error = new Error(`bundled file ${path} is missing ${where}`, { cause }) as Error & {
    code: string;
  };
  // Same code as fs, so callers can treat both modes alike.
  error.code = 'ENOENT';
  return error;
}

/**
 * The bytes of a file that ships with adsync.
 * @param path path relative to the package root, with forward slashes (`examples/demo/a.ldif`)
 * @returns a copy of the file's bytes
 * @throws an Error with `code: 'ENOENT'` when the file is not part of this build
 */
export function readBundledFile(path: string): Buffer {
  checkName(path);
  if (sea.isSea()) {
    let bytes: ArrayBuffer;
    try {
      bytes = sea.getAsset(path);
    } catch (error) {
      throw notFound(path, error);
    }
    // getAsset returns a copy already; wrap it without copying again.
    return Buffer.from(bytes);
  }
  try {
    return readFileSync(join(packageRoot(), path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(path, error);
    throw error;
  }
}

/**
 * A text file that ships with adsync, decoded as UTF-8.
 * @param path path relative to the package root, with forward slashes
 * @throws an Error with `code: 'ENOENT'` when the file is not part of this build
 */
export function readBundledText(path: string): string {
  return readBundledFile(path).toString('utf8');
}

/**
 * Every bundled file under a directory, recursively.
 * @param dir directory relative to the package root (`examples/demo`)
 * @returns package-relative paths with forward slashes, sorted; empty when the directory is absent
 */
export function listBundledFiles(dir: string): string[] {
  const prefix = `${checkName(dir.replace(/\/+$/, ''))}/`;
  if (sea.isSea())
    return sea
      .getAssetKeys()
      .filter((k) => k.startsWith(prefix))
      .sort();
  let entries: string[];
  try {
    entries = readdirSync(join(packageRoot(), dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const root = packageRoot();
  return entries.map((p) => p.slice(root.length).split('\\').join('/')).sort();
}

/** Where this process extracted assets for {@link bundledFilePath}, and what it wrote there. */
let extracted: { dir: string; files: Map<string, string> } | undefined;

/**
 * A real file system path for a bundled file, for code that can only open paths. Outside a SEA
 * this is the file in the package; inside one, the asset is written once per process to a private
 * temporary directory (mode 700, random name, removed at exit) and that copy's path is returned.
 * Prefer {@link readBundledFile} where bytes will do.
 * @param path path relative to the package root, with forward slashes
 * @throws an Error with `code: 'ENOENT'` when the file is not part of this build
 */
export function bundledFilePath(path: string): string {
  checkName(path);
  if (!sea.isSea()) {
    const file = join(packageRoot(), path);
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) throw notFound(path);
    return file;
  }
  if (extracted === undefined) {
    // mkdtemp: a fresh, unpredictable, owner-only directory, so another local user cannot plant
    // or swap the file between our write and its use.
    const dir = mkdtempSync(join(tmpdir(), 'adsync-assets-'));
    extracted = { dir, files: new Map() };
    process.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
    });
  }
  const known = extracted.files.get(path);
  if (known !== undefined) return known;
  const bytes = readBundledFile(path);
  const file = join(extracted.dir, ...path.split('/'));
  makeDir(dirname(file));
  writeFileSync(file, bytes, { mode: 0o600 });
  extracted.files.set(path, file);
  return file;
}
