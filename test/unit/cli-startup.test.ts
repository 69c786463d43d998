import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BIN } from '../harness/cli.js';
import { removeDir } from '../harness/files.js';

/**
 * `adsync --version` and `--help` load the CLI and commander, nothing of the packages a run
 * needs. A module hook (module.registerHooks, in the process itself) records every module
 * resolved and prints the list when the process exits.
 */
const HOOK = `
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    seen.add(result.url);
    return result;
  },
});
process.on('exit', () => {
  process.stderr.write('\\nLOADED ' + JSON.stringify([...seen]) + '\\n');
});
`;

/** Packages only a command's run may load. */
const HEAVY = [
  'ldapts',
  'undici',
  'libphonenumber-js',
  'node-cron',
  'zod',
  'yaml',
  'csv-parse',
  'csv-stringify',
  '@fastify/busboy',
  'selfsigned',
  'ora',
  'chalk',
  'koffi',
];

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'adsync-startup-'));
  await writeFile(join(dir, 'hook.mjs'), HOOK);
});
afterAll(async () => {
  await removeDir(dir);
});

/** The modules one CLI start resolves: packages by name, our own modules by path under dist. */
function loaded(args: string[], status = 0): { packages: string[]; own: string[]; stdout: string } {
  const run = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'hook.mjs')).href, BIN, ...args],
    {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      encoding: 'utf8',
    },
  );
  expect(run.status).toBe(status);
  const line = run.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  const urls = JSON.parse(line?.slice('LOADED '.length) ?? '[]') as string[];
  const packages = new Set<string>();
  const own: string[] = [];
  for (const url of urls) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1]) packages.add(match[1]);
    else if (url.startsWith(pathToFileURL(join(root, 'dist')).href))
      own.push(url.slice(pathToFileURL(join(root, 'dist')).href.length + 1));
  }
  return { packages: [...packages].sort(), own: own.sort(), stdout: run.stdout };
}

describe('start-up loads only what the command needs', () => {
  it.each([['--version'], ['--help'], ['push', '--help']])(
    'adsync %s: the CLI and commander, no heavy package',
    (...args) => {
      const { packages, own, stdout } = loaded(args);
      expect(stdout).not.toBe('');
      expect(packages).toContain('commander');
      expect(packages.filter((p) => HEAVY.includes(p))).toEqual([]);
      // Of our own code: the CLI, the command definitions and small shared modules only.
      expect(own).toContain('cli/main.js');
      expect(
        own.filter((f) => /^(mock-server|pipeline|directory|mapping|upload|config\/load|plan|csv)\b/.test(f)),
      ).toEqual([]);
    },
  );
});

describe('the Kerberos provider loads only for auth: gssapi', () => {
  it('a simple bind reads the directory without loading koffi or a GSS provider', async () => {
    // A server that refuses the connection: the LDAP source runs (and fails, exit 1) all the same.
    await writeFile(
      join(dir, 'adsync.yaml'),
      [
        'directory: { kind: ldap, url: "ldap://127.0.0.1:1", baseDN: "dc=example,dc=com" }',
        'locations: [{ slug: hq, ous: ["ou=people,dc=example,dc=com"] }]',
        'target: { profile: receptionist }',
        '',
      ].join('\n'),
    );
    const { packages, own } = loaded(['push', '--dry-run'], 1);
    expect(packages).toContain('ldapts');
    expect(own).toContain('directory/ldap/source.js');
    expect(packages).not.toContain('koffi');
    expect(own.filter((f) => /sasl\/(gss-mit|gss-sspi|koffi)\.js/.test(f))).toEqual([]);
  });
});
