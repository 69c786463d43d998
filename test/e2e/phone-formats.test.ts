import { readFile } from 'node:fs/promises';

import { describe, expect, inject, it } from 'vitest';

import { BIND_ENV, exampleConfig, type TestConfig } from '../harness/example-config.js';
import { runAdsync as adsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';

const skip = inject('slapdSkip');

/** The CSV a dry run writes, as rows of cells (no quoted commas in the columns compared here). */
async function dryRunRows(config: TestConfig): Promise<string[][]> {
  const cwd = await tempDir();
  await writeConfig(cwd, config);
  const run = await adsync(['push', '--dry-run'], { cwd, env: BIND_ENV });
  expect(run.code, run.stderr).toBe(0);
  const text = await readFile(run.stdout.trim(), 'utf8');
  return text
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => line.split(','));
}

describe.skipIf(skip !== '')(`phone formats against slapd${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('format: digits on a phone column keeps a UK number whole', async () => {
    const base = exampleConfig();
    const rows = await dryRunRows({
      ...base,
      columns: { Identification: 'employeeNumber', 'SMS Phone': { from: 'mobile', format: 'digits' } },
    });
    const sms = new Map(rows.map((r) => [r[0], r[3]]));
    // Omar's only way to be reached is +44 20 7946 0958: it stays a whole international number.
    expect(sms.get('Omar')).toBe('442079460958');
    expect(sms.get('Ada')).toBe('14165550101');
  });

  it('the iLobby profile writes national digits like its sample (4169998888)', async () => {
    const base = exampleConfig();
    const rows = await dryRunRows({
      ...base,
      target: { profile: 'ilobby' },
      columns: { MOBILE: ['mobile'] },
    });
    const [header = [], ...body] = rows;
    const mobile = header.indexOf('MOBILE');
    const byName = new Map(body.map((r) => [r[0], r[mobile]]));
    expect(byName.get('Ada')).toBe('4165550101');
  });
});
