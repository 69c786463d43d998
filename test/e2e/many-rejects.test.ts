import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MockServer } from '../../src/mock-server/server.js';
import { runAdsync } from '../harness/cli.js';
import { mockTarget } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { startTrustedMock } from '../harness/mock.js';

const SECRET = 'many-rejects-client-secret-0123';
const OU = 'ou=hq,ou=people,dc=example,dc=com';
const HEADER =
  'First Name,Last Name,Email,SMS Phone,Business Title,Department,Image,PIN,Location Slug,Identification,Slack';
/** Directory people rejected (no first name, no valid email). */
const DIRECTORY_REJECTS = 3000;
/** extraContacts rows rejected (only an invalid email). */
const FILE_REJECTS = 2000;
/** Valid people with a mobile number that is no phone number: a warning each. */
const WARNED = 300;

function ldif(): string {
  const parts = [`dn: ${OU}\nobjectClass: organizationalUnit\nou: hq\n`];
  for (let n = 0; n < DIRECTORY_REJECTS; n++)
    parts.push(
      `dn: uid=r${n},${OU}\nobjectClass: inetOrgPerson\nuid: r${n}\ncn: Rejected ${n}\nsn: Rejected\nmail: not-an-email-${n}\n`,
    );
  for (let n = 0; n < WARNED; n++)
    parts.push(
      `dn: uid=w${n},${OU}\nobjectClass: inetOrgPerson\nuid: w${n}\ncn: Warned ${n}\ngivenName: Warned\nsn: Person${n}\nmail: w${n}@example.com\nmobile: 12\n`,
    );
  return parts.join('\n');
}

interface Report {
  rejected: number;
  rejectedByLocation: Record<string, number>;
  rejectedSample?: { dn: string; location: string; reasons: string[] }[];
  warnings: { message: string; dn?: string }[];
  warningsOmitted?: number;
  rejectsPath: string;
  rows: number;
}

async function historyLines(dir: string): Promise<{ rejected?: number; outcome?: string }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const file = entries.find((e) => e.name === 'runs.jsonl');
  if (!file) return [];
  const text = await readFile(join(file.parentPath, file.name), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { rejected?: number; outcome?: string });
}

describe('many rejected rows: a bounded sample in output and the report, every row in the rejects file (CLI, LDIF, mock vendor)', () => {
  let trusted: { mock: MockServer; caFile: string } | undefined;
  beforeAll(async () => {
    trusted = await startTrustedMock(SECRET);
  });
  afterAll(async () => {
    await trusted?.mock.stop();
  });

  it('a push with 5,000 rejected rows and 300 warnings: exact counts everywhere, samples in the report and on the terminal, all rows with reasons on disk', async () => {
    if (!trusted) throw new Error('the mock vendor is not started');
    const dir = await tempDir();
    await writeFile(join(dir, 'people.ldif'), ldif());
    await writeFile(join(dir, 'extra.csv'), `${HEADER}\n${',,x,,,,,,hq,,\n'.repeat(FILE_REJECTS)}`);
    await writeConfig(dir, {
      directory: { kind: 'ldif', file: './people.ldif', flavor: 'ldap' },
      locations: [{ slug: 'hq', ous: [OU] }],
      target: mockTarget(trusted.mock.url, trusted.caFile),
      extraContacts: './extra.csv',
      output: { dir: './out' },
      state: { dir: './state' },
    });
    const run = await runAdsync(['push', '--first-push', '--json', '--config', 'adsync.yaml'], {
      cwd: dir,
      env: { ADSYNC_CLIENT_SECRET: SECRET, NO_COLOR: '1' },
    });
    expect(run.stderr).not.toContain('Error:');
    expect(run.code).toBe(0);
    const total = DIRECTORY_REJECTS + FILE_REJECTS;
    const report = JSON.parse(run.stdout) as Report;

    // Exact counts: the report, per location, and the run history.
    expect(report.rows).toBe(WARNED);
    expect(report.rejected).toBe(total);
    expect(report.rejectedByLocation).toEqual({ hq: total });
    expect((await historyLines(join(dir, 'state'))).at(-1)).toMatchObject({
      outcome: 'uploaded',
      rejected: total,
    });
    expect(trusted.mock.contacts().filter((c) => c.status === 'active')).toHaveLength(WARNED);

    // A bounded sample in the report, each with its reasons.
    const sample = report.rejectedSample ?? [];
    expect(sample.length).toBeGreaterThan(0);
    expect(sample.length).toBeLessThanOrEqual(20);
    for (const r of sample) {
      expect(r.location).toBe('hq');
      expect(r.reasons.length).toBeGreaterThan(0);
    }
    // Row warnings: a bounded list, the rest counted; nothing double counted.
    const rowWarnings = report.warnings.filter((w) => w.dn?.startsWith('uid=w') === true);
    expect(rowWarnings.length).toBeLessThanOrEqual(200);
    expect(rowWarnings.length + (report.warningsOmitted ?? 0)).toBe(WARNED);

    // The terminal: a few lines, the exact count, and where every row is.
    expect(run.stderr.split('\n').length).toBeLessThan(60);
    expect(run.stderr).toContain(
      `${total} rows rejected (first 10; all are in the rejects file ${report.rejectsPath})`,
    );
    expect(run.stderr).toMatch(
      /300 warnings \(first 10; .*200 kept, 100 more about single rows only counted\)/,
    );

    // The rejects file holds every rejected row once, with its reasons.
    const rows = parse<Record<string, string>>(await readFile(report.rejectsPath, 'utf8'), {
      columns: true,
      bom: true,
    });
    expect(rows).toHaveLength(total);
    const sources = new Set(rows.map((r) => r['Source DN']));
    expect(sources.size).toBe(total);
    for (let n = 0; n < DIRECTORY_REJECTS; n++) expect(sources.has(`uid=r${n},${OU}`)).toBe(true);
    for (let n = 0; n < FILE_REJECTS; n++) expect(sources.has(`extra.csv line ${n + 2}`)).toBe(true);
    expect(rows.every((r) => (r.Reasons ?? '') !== '')).toBe(true);
    expect(rows.find((r) => r['Source DN'] === `uid=r7,${OU}`)?.Reasons).toContain('First Name');
  });
});
