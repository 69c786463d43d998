import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { runAdsync, runProgram, type CliRun } from '../harness/cli.js';
import { tempDir } from '../harness/files.js';
import { listening } from '../harness/slapd.js';

const skip = inject('slapdSkip');
const QUICKSTART = fileURLToPath(new URL('../../scripts/quickstart.mjs', import.meta.url));

/** The loopback port of a URL printed by the quick start. */
function portOf(text: string, scheme: 'ldaps' | 'https'): number {
  const url = new RegExp(`${scheme}://127\\.0\\.0\\.1:(\\d+)`).exec(text)?.[1];
  expect(url, `${scheme}:// URL in the output`).toBeDefined();
  return Number(url);
}

// The quick start of the README (scripts/quickstart.sh runs install.sh, then this script): a
// throwaway slapd and the mock vendor, a config for them, `push --dry-run` and `push`.
describe.skipIf(skip !== '')(`quick start (slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('runs without stdin, exits 0, and says plainly that the config it leaves has lost its servers', async () => {
    const cwd = await tempDir();
    const run = await runProgram(process.execPath, [QUICKSTART, '--dir', 'qs'], { cwd, timeout: 90_000 });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('$ adsync push --dry-run --config qs/adsync.yaml');
    // The mock vendor starts empty: the quick start approves its first push knowingly.
    expect(run.stderr).toContain('$ adsync push --first-push --config qs/adsync.yaml');
    expect(run.stderr).toContain('✔ uploaded (HTTP 200)');
    expect(run.stderr).toContain(
      'The directory and the mock vendor are stopped now: qs/adsync.yaml points to servers that are gone',
    );
    expect(run.stderr).toContain('bash scripts/quickstart.sh --keep');
    expect(await listening(portOf(run.stderr, 'ldaps'))).toBe(false);
    // What it says still works does: the history, and diff of the two runs' CSVs.
    const history = await runAdsync(['history', '--config', 'qs/adsync.yaml'], { cwd });
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/dry run +receptionist \S+ \(quickstart\) +ok +0 +10 /);
    expect(history.stdout).toMatch(/push +receptionist \S+ \(quickstart\) +uploaded +0 +10 /);
    const qs = (args: string[]): Promise<CliRun> =>
      runAdsync([...args, '--config', 'qs/adsync.yaml'], { cwd });
    // The dry run and the push, by the ids history gives (diff alone needs two pushes).
    const { runs } = JSON.parse((await qs(['history', '--json'])).stdout) as { runs: { runId: string }[] };
    expect(runs).toHaveLength(2);
    expect((await qs(['diff', ...runs.map((r) => r.runId)])).code).toBe(0);
    // Everything the config refers to is beside it (no path into a removed server directory).
    expect(await readdir(join(cwd, 'qs'))).toEqual(
      expect.arrayContaining([
        'adsync.yaml',
        'bind-password.txt',
        'client-secret.txt',
        'ldap-ca.pem',
        'mock-ca.pem',
      ]),
    );
  }, 120_000);

  it('--keep keeps the directory and the mock vendor up for the config until Ctrl-C', async () => {
    const cwd = await tempDir();
    const child = spawn(process.execPath, [QUICKSTART, '--keep', '--dir', 'qs'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const deadline = Date.now() + 90_000;
      while (!stderr.includes('Press Ctrl-C to stop them.') && child.exitCode === null) {
        if (Date.now() > deadline) throw new Error(`the quick start did not get ready:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(stderr).toContain('keep running for that config:');
      expect(stderr).toContain('./adsync push --dry-run --config qs/adsync.yaml');
      // The config runs again, against the same servers: the plan is against the push just made.
      const again = await runAdsync(['push', '--config', 'qs/adsync.yaml'], { cwd });
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('Plan: 0 to create, 0 to update, 0 to archive, 10 unchanged');
      expect(again.stderr).toContain('✔ uploaded (HTTP 200)');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGINT: stopping the directory and the mock vendor');
    expect(await listening(portOf(stderr, 'ldaps'))).toBe(false);
    expect(await listening(portOf(stderr, 'https'))).toBe(false);
  }, 120_000);
});
