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
function loaded(args: string[]): { packages: string[]; own: string[]; stdout: string } {
  const run = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'hook.mjs')).href, BIN, ...args],
    {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      encoding: 'utf8',
    },
  );
  expect(run.status).toBe(0);
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
