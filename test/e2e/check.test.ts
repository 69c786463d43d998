import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { BIND_ENV, exampleConfig } from '../harness/example-config.js';
import { runAdsync as adsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';

const skip = inject('slapdSkip');

describe('adsync init', () => {
  it('init --file names the file in the next command, and the starter says groups restrict a location', async () => {
    const cwd = await tempDir();
    const other = await adsync(['init', '--file', 'x.yaml'], { cwd });
    expect(other.code).toBe(0);
    expect(other.stderr).toContain('then run `adsync check --config x.yaml`');
    const text = await readFile(join(cwd, 'x.yaml'), 'utf8');
    expect(text).toContain('# Keep only members of any of these groups');
    expect(text).not.toContain('also appear in this location');
    const usual = await adsync(['init', '--kind', 'ldap'], { cwd });
    expect(usual.stderr).toContain('then run `adsync check`');
    expect(await readFile(join(cwd, 'adsync.yaml'), 'utf8')).toContain('# Keep only members');
  });
});

describe.skipIf(skip !== '')(`adsync check against slapd${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  const config = exampleConfig();
  const plainPort = new URL(inject('ldapUrl')).port;
  const tlsPort = new URL(inject('ldapsUrl')).port;

  it('ldaps:// to the plain port and ldap:// to the TLS port say so and name the right URL (exit 1)', async () => {
    const cwd = await tempDir();
    const cases = [
      {
        url: `ldaps://127.0.0.1:${plainPort}`,
        says: 'speaks plain LDAP, not TLS',
        hint: `Use ldap://127.0.0.1:${plainPort} with directory.startTLS: true`,
      },
      {
        url: `ldap://127.0.0.1:${tlsPort}`,
        says: 'is a TLS (LDAPS) port',
        hint: `Use ldaps://127.0.0.1:${tlsPort} in directory.url`,
      },
    ];
    for (const { url, says, hint } of cases) {
      await writeConfig(cwd, {
        ...config,
        directory: { ...config.directory, url, caFile: inject('caFile') },
      });
      for (const args of [['check'], ['push', '--dry-run']]) {
        const run = await adsync(args, { cwd, env: BIND_ENV });
        expect(run.code, `${url} ${args.join(' ')}`).toBe(1);
        expect(run.stderr).toContain(`${url} ${says}`);
        expect(run.stderr).toContain(hint);
        expect(run.stderr).not.toMatch(/ECONNRESET|Connection closed before message response/);
      }
    }
  });

  it('check goes on past a failing location and shows every location; exit 1', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, {
      ...config,
      locations: [
        { slug: 'hq', ous: ['ou=hq,ou=people,dc=example,dc=com'] },
        { slug: 'gone', ous: ['ou=gone,dc=example,dc=com'] },
        { slug: 'warehouse', ous: ['ou=warehouse,ou=people,dc=example,dc=com'] },
      ],
    });
    const run = await adsync(['check'], { cwd, env: BIND_ENV });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('hq: 7 rows, 6 rejected');
    expect(run.stderr).toMatch(/warehouse: \d+ rows/);
    expect(run.stderr).toContain('✘ gone: location "gone": search of ou=gone,dc=example,dc=com');
    const json = await adsync(['check', '--json'], { cwd, env: BIND_ENV });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { status: string; locations: { slug: string }[] };
    expect(report.status).toBe('error');
    expect(report.locations.map((l) => l.slug)).toEqual(['gone', 'hq', 'warehouse']);
    expect(report.locations[0]).toMatchObject({ error: { code: 'LDAP_NO_SUCH_OBJECT' } });
    expect(report.locations[1]).toMatchObject({ rows: 7, rejected: 6 });
  });

  it('a failed bind is said once, however many locations', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, config);
    const run = await adsync(['check'], { cwd, env: { TEST_BIND_PASSWORD: 'wrong-password-1' } });
    expect(run.code).toBe(1);
    expect(run.stderr.match(/bind failed for cn=adsync/g)).toHaveLength(1);
    expect(run.stderr).not.toContain('wrong-password-1');
  });

  it('a location whose searches return nobody is a warning on the first run: push, its report, and check', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, {
      ...config,
      locations: [
        { slug: 'hq', ous: ['ou=hq,ou=people,dc=example,dc=com'] },
        { slug: 'lobby', ous: ['ou=groups,dc=example,dc=com'] },
      ],
    });
    const says = 'location lobby: its searches returned nobody (ous ou=groups,dc=example,dc=com)';
    const push = await adsync(['push', '--dry-run', '--json'], { cwd, env: BIND_ENV });
    expect(push.code).toBe(0);
    expect(push.stderr).toContain(says);
    const report = JSON.parse(push.stdout) as { warnings: { message: string; location?: string }[] };
    const lobby = report.warnings.filter((w) => w.location === 'lobby' && w.message.startsWith(says));
    expect(lobby).toHaveLength(1);
    const checked = await adsync(['check'], { cwd, env: BIND_ENV });
    expect(checked.code).toBe(0);
    expect(checked.stderr).toContain(says);
    expect(checked.stderr).toContain('lobby: 0 rows');
  });

  it("check's preview: a pipe without COLUMNS shows cells whole; COLUMNS=80 shows readable columns, naming those left out; COLUMNS=200 uses the width", async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, {
      ...config,
      locations: [{ slug: 'hq', ous: ['ou=hq,ou=people,dc=example,dc=com'] }],
      // 36 characters a cell: the default Identification of an LDAP directory.
      columns: { Identification: { from: 'entryUUID', format: 'guid' } },
    });
    const table = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes(' │ '));
    const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

    // stderr is a pipe and COLUMNS is unset: a log file has no width, nothing is cut.
    const piped = await adsync(['check'], { cwd, env: BIND_ENV });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toContain('Head of "Quality", Europe');
    expect(piped.stderr).toMatch(guid);
    expect(table(piped.stderr)[0]).toContain('│ Identification');
    expect(piped.stderr).not.toContain('…');

    const narrow = await adsync(['check'], { cwd, env: { ...BIND_ENV, COLUMNS: '80' } });
    const lines = table(narrow.stderr);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^ {2}First Name │ Last Name │ Email/);
    // No column is cut to a few characters: one left out is named instead.
    for (const cell of lines.flatMap((l) => l.trim().split(' │ ')).filter((c) => c.endsWith('…')))
      expect(cell.length, cell).toBeGreaterThanOrEqual(12);
    expect(narrow.stderr).toMatch(/^ {2}\+ \d+ more columns?: .*Identification$/m);

    const wide = await adsync(['check'], { cwd, env: { ...BIND_ENV, COLUMNS: '200' } });
    const wideLines = table(wide.stderr);
    for (const line of wideLines) expect(line.length, line).toBeLessThanOrEqual(200);
    expect(Math.max(...wideLines.map((l) => l.length))).toBeGreaterThan(80);
    expect(wide.stderr).toContain('Head of "Quality", Europe');
    expect(wideLines[0]).toContain('│ Identification');
  });
});
