// Packaging (issue 6): the npm tarball installs and runs with only runtime files in it, and the
// single executables (Node SEA) are built from scratch by scripts/build-sea.mjs: the Linux one is
// run here without any node on PATH, the Windows one is checked for its structure.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { TLSSocket } from 'node:tls';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { BIND_ENV, EXPECTED_RECEPTIONIST_CSV, exampleConfig, mockTarget } from '../harness/example-config.js';
import { firstStdoutLine, runProgram, type CliRun } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { npmTool } from '../harness/tools.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const skip = inject('slapdSkip');
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
/** The fuse Node's SEA start-up checks; the build flips its trailing 0 to 1. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const MiB = 1024 * 1024;

const exec = runProgram;
const npm = npmTool('npm');

/** The same, failing with the program's output when it does not exit 0. */
async function mustRun(
  program: string,
  args: string[],
  options: Parameters<typeof exec>[2],
): Promise<CliRun> {
  const run = await exec(program, args, options);
  if (run.code !== 0)
    throw new Error(`${program} ${args.join(' ')} exited ${String(run.code)}:\n${run.stderr}${run.stdout}`);
  return run;
}

/** PATH with this Node 24 first: the system node may be older than adsync supports. */
const NODE24_PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;

describe('npm pack', () => {
  let tarball = '';
  let files: string[] = [];
  let dir = '';

  beforeAll(async () => {
    dir = await tempDir('adsync-pack-');
    // --ignore-scripts: the global setup has just built dist/, and prepack's rebuild would
    // rewrite it under the other test files' feet.
    const packed = await mustRun(
      npm.command,
      ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
      {
        cwd: ROOT,
        shell: npm.shell,
        env: { ...process.env, PATH: NODE24_PATH },
      },
    );
    const info = (JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[])[0];
    if (!info) throw new Error(`npm pack printed no package: ${packed.stdout}`);
    tarball = join(dir, info.filename);
    files = info.files.map((f) => f.path);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds only runtime files: the CLI, its compiled code, schema, example config and docs', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'config.example.yaml',
        'bin/adsync.js',
        'bin/node-version.cjs',
        'dist/cli/main.js',
        'dist/runtime/assets.js',
        'schema/adsync.schema.json',
      ]),
    );
    const allowed =
      /^(package\.json|README\.md|LICENSE(\.\w+)?|config\.example\.yaml|bin\/[^/]+\.c?js|dist\/.+\.js|schema\/[^/]+\.json|docs\/[^/]+\.md|examples\/demo\/.+)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    // Spelled out for the reader: no sources, tests, tools, scripts, source maps or SEA output.
    expect(files.filter((f) => /^(src|test|scripts|\.tools|dist-sea|node_modules)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts'))).toEqual([]);
  });

  it('ships every document the README and the example config link to', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const linked = new Set([...readme.matchAll(/\]\((docs\/[^)#\s]+\.md)/g)].map((m) => m[1] ?? ''));
    const example = await readFile(join(ROOT, 'config.example.yaml'), 'utf8');
    for (const m of example.matchAll(/\b(docs\/[\w-]+\.md)/g)) linked.add(m[1] ?? '');
    expect(linked.size).toBeGreaterThan(0);
    expect([...linked].filter((doc) => !files.includes(doc))).toEqual([]);
  });

  it('ships the demo data when the checkout has it', async () => {
    const demo = join(ROOT, 'examples', 'demo');
    const onDisk = existsSync(demo)
      ? (await readdir(demo, { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile())
          .map((e) => join(e.parentPath, e.name).slice(ROOT.length))
      : [];
    expect(files.filter((f) => f.startsWith('examples/demo/')).sort()).toEqual(onDisk.sort());
  });

  it('installs with npm install -g (dependencies from the registry), then adsync --help and --version work', async () => {
    const prefix = join(dir, 'global');
    await mustRun(
      npm.command,
      // --prefer-offline: the dependencies resolve as from the registry, but npm takes what its
      // cache already holds (npm ci put every runtime dependency there) without asking again;
      // a slow registry (minutes per package, seen) must not fail the test.
      [
        ...['install', '-g', '--prefix', prefix, '--prefer-offline'],
        ...['--no-audit', '--no-fund', '--loglevel=error', tarball],
      ],
      {
        cwd: dir,
        shell: npm.shell,
        env: { ...process.env, PATH: NODE24_PATH },
        timeout: 480_000,
      },
    );
    const bin = join(prefix, 'bin', 'adsync');
    const env = { PATH: NODE24_PATH, HOME: dir };
    const help = await exec(bin, ['--help'], { cwd: dir, env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('adsync push --dry-run');
    const version = await exec(bin, ['--version'], { cwd: dir, env });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(PKG.version);
    const init = await exec(bin, ['init', '--file', join(dir, 'adsync.yaml')], { cwd: dir, env });
    expect(init.code).toBe(0);
    // Runtime dependencies only: no build or test tools came along.
    const installed = await readdir(join(prefix, 'lib', 'node_modules', 'adsync', 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['ldapts', 'commander', 'undici']));
    for (const dev of ['esbuild', 'postject', 'vitest', 'typescript', 'eslint'])
      expect(installed).not.toContain(dev);
  }, 540_000);
});

/** The parts of a PE file the Windows executable check looks at. */
interface PeFile {
  machine: number;
  magic: number;
  subsystem: number;
  checksum: number;
  checksumOffset: number;
  certificateTable: { offset: number; size: number };
  /** RT_RCDATA resources by name. */
  rcdata: Map<string, Buffer>;
}

/** A small PE32+ reader: headers, the certificate table entry and the RCDATA resources. */
function readPe(buf: Buffer): PeFile {
  expect(buf.toString('latin1', 0, 2)).toBe('MZ');
  const pe = buf.readUInt32LE(0x3c);
  expect(buf.toString('latin1', pe, pe + 4)).toBe('PE\0\0');
  const sections = buf.readUInt16LE(pe + 6);
  const optional = pe + 24;
  const optionalSize = buf.readUInt16LE(pe + 20);
  const directory = (i: number): { rva: number; size: number } => ({
    rva: buf.readUInt32LE(optional + 112 + i * 8),
    size: buf.readUInt32LE(optional + 112 + i * 8 + 4),
  });
  const table = optional + optionalSize;
  const toOffset = (rva: number): number => {
    for (let i = 0; i < sections; i++) {
      const s = table + i * 40;
      const va = buf.readUInt32LE(s + 12);
      const raw = buf.readUInt32LE(s + 16);
      if (rva >= va && rva < va + Math.max(raw, buf.readUInt32LE(s + 8)))
        return rva - va + buf.readUInt32LE(s + 20);
    }
    throw new Error(`RVA ${rva.toString(16)} is in no section`);
  };
  const rsrc = toOffset(directory(2).rva);
  const entries = (at: number): { name: string | number; target: number; dir: boolean }[] => {
    const count = buf.readUInt16LE(at + 12) + buf.readUInt16LE(at + 14);
    return Array.from({ length: count }, (_, i) => {
      const nameField = buf.readUInt32LE(at + 16 + i * 8);
      const target = buf.readUInt32LE(at + 16 + i * 8 + 4);
      let name: string | number = nameField;
      if (nameField & 0x80000000) {
        const s = rsrc + (nameField & 0x7fffffff);
        name = buf.toString('utf16le', s + 2, s + 2 + buf.readUInt16LE(s) * 2);
      }
      return { name, target: rsrc + (target & 0x7fffffff), dir: (target & 0x80000000) !== 0 };
    });
  };
  const rcdata = new Map<string, Buffer>();
  const rtRcdata = entries(rsrc).find((e) => e.name === 10 && e.dir);
  for (const named of rtRcdata ? entries(rtRcdata.target) : []) {
    const language = named.dir ? entries(named.target)[0] : undefined;
    if (typeof named.name !== 'string' || !language || language.dir) continue;
    const dataRva = buf.readUInt32LE(language.target);
    const size = buf.readUInt32LE(language.target + 4);
    rcdata.set(named.name, buf.subarray(toOffset(dataRva), toOffset(dataRva) + size));
  }
  const security = directory(4);
  return {
    machine: buf.readUInt16LE(pe + 4),
    magic: buf.readUInt16LE(optional),
    subsystem: buf.readUInt16LE(optional + 68),
    checksum: buf.readUInt32LE(optional + 64),
    checksumOffset: optional + 64,
    certificateTable: { offset: security.rva, size: security.size },
    rcdata,
  };
}

/** The PE image checksum, as Windows' CheckSumMappedFile computes it. */
function peChecksum(buf: Buffer, checksumOffset: number): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) {
    if (i === checksumOffset || i === checksumOffset + 2) continue;
    sum += i + 1 < buf.length ? buf.readUInt16LE(i) : (buf[i] ?? 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + buf.length) >>> 0;
}

/** Where the fuse is, and how often. */
function fuses(buf: Buffer): string[] {
  const found: string[] = [];
  for (let at = buf.indexOf(SEA_FUSE); at >= 0; at = buf.indexOf(SEA_FUSE, at + 1))
    found.push(buf.toString('latin1', at + SEA_FUSE.length, at + SEA_FUSE.length + 2));
  return found;
}

describe('single executable (Node SEA)', () => {
  let out = '';
  let linux = '';
  let windows = '';
  /** A PATH with no node in it: the executable must not need one. */
  let noNode = '';

  beforeAll(async () => {
    out = await tempDir('adsync-sea-');
    noNode = join(out, 'empty-bin');
    await mkdir(noNode);
    // From scratch but for the download cache (.tools/sea-cache; a fresh clone downloads both
    // Node binaries here): bundle, blob, injection. dist/ comes from the global setup.
    await mustRun(process.execPath, [join(ROOT, 'scripts', 'build-sea.mjs'), '--out', out], {
      cwd: ROOT,
      env: { ...process.env, PATH: NODE24_PATH },
      timeout: 540_000,
    });
    linux = join(out, 'adsync-linux-x64');
    windows = join(out, 'adsync-win-x64.exe');
  }, 600_000);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  const seaEnv = (cwd: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    PATH: noNode,
    HOME: cwd,
    ...extra,
  });

  it('carries the package files as SEA assets, demo data included when present', async () => {
    const config = JSON.parse(await readFile(join(out, '.build', 'sea-config.json'), 'utf8')) as {
      main: string;
      useCodeCache: boolean;
      disableExperimentalSEAWarning: boolean;
      assets: Record<string, string>;
    };
    expect(config.disableExperimentalSEAWarning).toBe(true);
    expect(Object.keys(config.assets)).toEqual(
      expect.arrayContaining(['package.json', 'config.example.yaml', 'schema/adsync.schema.json']),
    );
    const demo = join(ROOT, 'examples', 'demo');
    if (existsSync(demo)) {
      for (const e of await readdir(demo, { recursive: true, withFileTypes: true }))
        if (e.isFile()) expect(config.assets).toHaveProperty([join(e.parentPath, e.name).slice(ROOT.length)]);
    }
  });

  describe.runIf(linuxX64)('linux-x64, run here with no node on PATH', () => {
    it('is an ELF executable of a sane size with the fuse flipped', async () => {
      const buf = await readFile(linux);
      expect(buf.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
      expect(fuses(buf)).toEqual([':1']);
      expect((await stat(linux)).mode & 0o111).not.toBe(0);
      expect(buf.length).toBeGreaterThan(80 * MiB);
      expect(buf.length).toBeLessThan(200 * MiB);
    });

    it('--version, --help and init work without a Node install', async () => {
      const cwd = await tempDir();
      // Nothing called node is reachable: the executable is the runtime.
      expect(
        (
          await exec('/bin/sh', ['-c', 'command -v node || echo none'], { cwd, env: seaEnv(cwd) })
        ).stdout.trim(),
      ).toBe('none');
      const version = await exec(linux, ['--version'], { cwd, env: seaEnv(cwd) });
      expect(version).toMatchObject({ code: 0, stderr: '' });
      expect(version.stdout.trim()).toBe(PKG.version);
      const help = await exec(linux, ['--help'], { cwd, env: seaEnv(cwd) });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('adsync push --dry-run');
      expect(help.stderr).not.toContain('ExperimentalWarning');
      const init = await exec(linux, ['init', '--file', join(cwd, 'adsync.yaml')], { cwd, env: seaEnv(cwd) });
      expect(init.code).toBe(0);
      expect(await readFile(join(cwd, 'adsync.yaml'), 'utf8')).toContain('directory:');
      const usage = await exec(linux, ['pusj'], { cwd, env: seaEnv(cwd) });
      expect(usage.code).toBe(2);
    });

    it.runIf(existsSync(join(ROOT, 'examples', 'demo', 'company.ldif')))(
      'adsync demo runs on its sample company, read from the SEA assets',
      async () => {
        const cwd = await tempDir();
        const run = await exec(linux, ['demo', '--dir', 'try-it', '--json'], { cwd, env: seaEnv(cwd) });
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ command: 'demo', status: 'ok', exitCode: 0 });
        const company = await readFile(join(ROOT, 'examples', 'demo', 'company.ldif'), 'utf8');
        const firstDn = company.split('\n').find((l) => l.startsWith('dn:')) ?? 'dn:';
        expect(await readFile(join(cwd, 'try-it', 'company.ldif'), 'utf8')).toContain(firstDn);
      },
    );

    it.skipIf(skip !== '')(
      `push --dry-run against the harness slapd writes the expected CSV${skip ? ` (SKIPPED: ${skip})` : ''}`,
      async () => {
        const cwd = await tempDir();
        await writeConfig(cwd, exampleConfig());
        const run = await exec(linux, ['push', '--dry-run'], { cwd, env: seaEnv(cwd, BIND_ENV) });
        expect(run.code, run.stderr).toBe(0);
        expect(await readFile(run.stdout.trim(), 'utf8')).toBe(EXPECTED_RECEPTIONIST_CSV);
        expect(run.stderr).toContain('Dry run: nothing was uploaded.');
      },
    );

    it.skipIf(skip !== '')(
      `mock-server answers over TLS and push uploads to it, both from the executable${skip ? ` (SKIPPED: ${skip})` : ''}`,
      async () => {
        const cwd = await tempDir();
        const secret = 'sea-client-secret-0123456789abcdef';
        const mock = spawn(
          linux,
          ['mock-server', '--json', '--client', `adsync:${secret}`, '--ca-out', join(cwd, 'mock-ca.pem')],
          { cwd, env: seaEnv(cwd), stdio: ['ignore', 'pipe', 'pipe'] },
        );
        try {
          const line = await firstStdoutLine(mock);
          const { url, caFile } = JSON.parse(line) as { url: string; caFile: string };
          const ca = await readFile(caFile, 'utf8');

          // TLS from a plain client: the self-signed certificate (selfsigned, in the bundle) and
          // the OAuth2 token endpoint.
          const token = await new Promise<{ status: number; tls: string; body: string }>(
            (resolve, reject) => {
              const req = request(
                `${url}/oauth/token`,
                { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
                (res) => {
                  // Read while the response still holds its socket.
                  const tls = res.socket instanceof TLSSocket ? res.socket.getProtocol() : null;
                  let body = '';
                  res.on('data', (d: Buffer) => (body += d.toString()));
                  res.on('end', () => {
                    resolve({ status: res.statusCode ?? 0, tls: tls ?? '', body });
                  });
                },
              );
              req.on('error', reject);
              req.end(`grant_type=client_credentials&client_id=adsync&client_secret=${secret}`);
            },
          );
          expect(token.status).toBe(200);
          expect(token.tls).toMatch(/^TLSv1\.[23]$/);
          expect(JSON.parse(token.body)).toHaveProperty('access_token');

          // adsync's own upload path (undici) inside the executable.
          await writeConfig(cwd, {
            ...exampleConfig(),
            target: mockTarget(url, caFile),
          });
          const pushed = await exec(linux, ['push', '--first-push', '--json'], {
            cwd,
            env: seaEnv(cwd, { ...BIND_ENV, ADSYNC_CLIENT_SECRET: secret }),
          });
          expect(pushed.code, pushed.stderr).toBe(0);
          expect((JSON.parse(pushed.stdout) as { upload: unknown }).upload).toEqual({
            status: 'uploaded',
            httpStatus: 200,
            summary: { created: 10, updated: 0, unchanged: 0, archived: 0, errors: [] },
          });
        } finally {
          mock.kill('SIGTERM');
          if (mock.exitCode === null) await new Promise((resolve) => mock.once('exit', resolve));
        }
      },
    );
  });

  describe('win-x64, checked for its structure', () => {
    let buf = Buffer.alloc(0);
    let pe: PeFile | undefined;

    beforeAll(async () => {
      buf = await readFile(windows);
      pe = readPe(buf);
    });

    it('is a 64-bit console PE executable of a sane size', () => {
      expect(pe?.machine).toBe(0x8664);
      expect(pe?.magic).toBe(0x20b); // PE32+
      expect(pe?.subsystem).toBe(3); // IMAGE_SUBSYSTEM_WINDOWS_CUI
      expect(buf.length).toBeGreaterThan(60 * MiB);
      expect(buf.length).toBeLessThan(200 * MiB);
    });

    it('holds the SEA blob as the NODE_SEA_BLOB resource, byte for byte, with the fuse flipped', async () => {
      const blob = await readFile(join(out, '.build', 'sea-prep.blob'));
      const resource = pe?.rcdata.get('NODE_SEA_BLOB');
      expect(resource?.length).toBe(blob.length);
      expect(resource?.equals(blob)).toBe(true);
      expect(fuses(buf)).toEqual([':1']);
    });

    it('has no broken signature left and a correct header checksum', () => {
      // Injection invalidates node.exe's Authenticode signature; the build removes it.
      expect(pe?.certificateTable).toEqual({ offset: 0, size: 0 });
      expect(pe?.checksum).toBe(peChecksum(buf, pe?.checksumOffset ?? 0));
    });
  });
});
