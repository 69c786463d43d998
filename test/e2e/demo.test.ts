import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';

import { demo, DEMO_MARKER, type DemoSetup } from '../../src/commands/demo/run.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { tempDir } from '../harness/files.js';

/** The built CLI with an environment holding nothing but PATH and HOME (and no proxy). */
function adsync(args: string[], cwd: string): Promise<CliRun> {
  return runAdsync(args, { cwd });
}

/** Every file under a directory, recursively. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Whether something accepts connections at a URL's host and port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

describe('adsync demo', () => {
  it('runs check, dry run, push, a directory change and the guarded push, without servers or network', async () => {
    const cwd = await tempDir();
    const run = await adsync(['demo', '--dir', 'try-it'], cwd);
    const dir = join(cwd, 'try-it');
    expect(run.stderr).not.toContain('error:');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(dir);
    const out = run.stderr;

    // The steps, in order, as the commands a user would type (with the platform's separator).
    const config = join('try-it', 'adsync.yaml');
    const steps = [...out.matchAll(/^Step (\d)\/6 {2}(.*)$/gm)].map((m) => m[2]);
    expect(steps).toEqual([
      `$ adsync check --config ${config}`,
      `$ adsync push --dry-run --config ${config}`,
      `$ adsync push --first-push --config ${config}`,
      `a directory change: ${join('try-it', 'company.ldif')} edited`,
      `$ adsync push --config ${config}`,
      `$ adsync push --allow-archive 3 --config ${config}`,
    ]);
    const step = (n: number): string => out.split(/^Step \d\/6 /m)[n] ?? '';
    expect(step(1)).toMatch(/ldif:\/\/\/.*try-it\/company\.ldif: readable LDIF file/);
    expect(step(1)).toMatch(/headquarters: 6 rows, 1 rejected/);
    expect(step(2)).toContain('Dry run: nothing was uploaded.');
    expect(step(2)).toContain('CN=Tom Nomail,OU=Headquarters');
    expect(step(3)).toMatch(/created\s+12\n\s+updated\s+0\n\s+unchanged\s+0\n\s+archived\s+0/);
    expect(step(4)).toContain('+ Chloé Martin (warehouse) added');
    expect(step(4)).toContain(
      '~ Anna-Lena Schmidt-Weber (headquarters): title: Controller → Chief Financial Officer',
    );
    expect(step(4)).toContain('- Ingrid Haugen (warehouse) removed');
    expect(step(4)).toContain('- Kenji Watanabe (warehouse) removed');
    expect(step(5)).toContain('a safety guard stopped the push; nothing was uploaded (as designed)');
    expect(step(5)).toContain('would archive 3 of 6 contacts (50%) in location warehouse');
    expect(step(6)).toContain('Plan: 1 to create, 1 to update, 3 to archive, 8 unchanged');
    expect(step(6)).toMatch(/created\s+1\n\s+updated\s+1\n\s+unchanged\s+8\n\s+archived\s+3/);
    expect(out).toContain('the mock vendor holds 10 active contacts and 3 archived');

    // The files it points at exist.
    const listed = [
      ...out.matchAll(
        /^ {2}(?:config|directory \(LDIF\)|CSV \(step 6\)|rejects \(step 6\)|run history|state \(last good push\)) +(\S+)$/gm,
      ),
    ].map((m) => join(cwd, m[1] ?? ''));
    expect(listed).toHaveLength(6);
    for (const file of listed) expect((await stat(file)).isFile()).toBe(true);
    const csv = listed[2] ?? '';
    const rows = parse<Record<string, string>>(await readFile(csv, 'utf8'), { columns: true });
    expect(rows.map((r) => `${r['Location Slug']}: ${r['First Name']} ${r['Last Name']}`)).toEqual([
      'headquarters: Amélie Côté',
      'headquarters: Minh Thư Nguyễn',
      "headquarters: Seán O'Brien",
      'headquarters: Björn Ødegård', // sorted by last name as a person reads it: Ø with the Os
      'headquarters: Priya Raman',
      'headquarters: Anna-Lena Schmidt-Weber',
      'warehouse: Lola Fernández',
      'warehouse: Chloé Martin',
      "warehouse: Seán O'Brien", // through the nested Safety Committee group
      'warehouse: Raj Patel',
    ]);
    expect(rows.find((r) => r['Last Name'] === 'Raman')?.['Business Title']).toBe(
      'Director of Customer Operations, Cross-Border Freight and Customs Brokerage',
    );
    expect(await readFile(listed[3] ?? '', 'utf8')).toContain('Tom,Nomail');

    // The generated client secret is only in its mode-600 file: not in the output, the config,
    // the CSVs, the state or the mock vendor's records.
    const secretFile = join(dir, 'client-secret.txt');
    const secret = (await readFile(secretFile, 'utf8')).trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    // Mode bits are POSIX's; on Windows the demo folder's ACL protects the file.
    if (process.platform !== 'win32') expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    expect(run.stdout + run.stderr).not.toContain(secret);
    for (const file of await allFiles(dir)) {
      if (file !== secretFile) expect(await readFile(file, 'utf8'), file).not.toContain(secret);
    }
    expect(await readFile(join(dir, 'adsync.yaml'), 'utf8')).toContain(
      'clientSecret: ${file:./client-secret.txt}',
    );
  });

  it('prints one JSON report with --json, and re-runs in its own directory', async () => {
    const cwd = await tempDir();
    expect((await adsync(['demo', '-q'], cwd)).code).toBe(0);
    const run = await adsync(['demo', '--json'], cwd);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("(the earlier demo's files were replaced)");
    const report = JSON.parse(run.stdout) as {
      status: string;
      dir: string;
      steps: { kind: string; report?: { upload?: { summary: Record<string, unknown> } } }[];
      vendor: unknown;
    };
    expect(report.status).toBe('ok');
    expect(report.dir).toBe(join(cwd, 'adsync-demo'));
    expect(report.steps.map((s) => s.kind)).toEqual(['check', 'push', 'push', 'change', 'guard', 'push']);
    expect(report.steps[2]?.report?.upload?.summary).toMatchObject({ created: 12, archived: 0 });
    expect(report.steps[5]?.report?.upload?.summary).toMatchObject({ created: 1, updated: 1, archived: 3 });
    expect(report.vendor).toEqual({ active: 10, archived: 3 });
    // Only the latest demo's runs: the earlier one's files were replaced, not added to.
    const csvs = (await readdir(join(cwd, 'adsync-demo', 'adsync-output'))).filter((f) =>
      /\d{3}Z\.csv$/.test(f),
    );
    expect(csvs).toHaveLength(4);
  });

  it("refuses a directory that holds someone else's files, and touches nothing in it", async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'notes.txt'), 'mine');
    const run = await adsync(['demo', '--dir', '.'], cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not empty and was not made by adsync demo; not touching its files');
    expect(await readdir(cwd)).toEqual(['notes.txt']);
  });

  it('stops the mock vendor when a step fails', async () => {
    const dir = await tempDir();
    let setup: DemoSetup | undefined;
    const error: unknown = await demo({
      dir,
      onSetup: (s) => {
        setup = s;
      },
      onStep: () => {
        throw new Error('stop after the first step');
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('stop after the first step');
    expect(setup?.vendorUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await listening(setup?.vendorUrl ?? '')).toBe(false);
    expect(await readdir(dir)).toContain(DEMO_MARKER);
  });
});
