import { readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parse } from 'csv-parse/sync';
import { describe, expect, inject, it } from 'vitest';

import { check } from '../../src/commands/check/run.js';
import { exportToFiles } from '../../src/pipeline/export.js';
import { push } from '../../src/pipeline/push.js';
import { loadConfig } from '../../src/config/load.js';
import { runFiles } from '../../src/csv/writer.js';
import { LdapDirectory } from '../../src/directory/ldap/source.js';
import { AdsyncError } from '../../src/errors.js';
import {
  BIND_ENV,
  EXPECTED_RECEPTIONIST_CSV,
  exampleConfig,
  type TestConfig,
} from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { builtLdapDirectory, readSearch, searchFailure } from '../harness/search-thread.js';
import { startCuttingProxy } from '../harness/slapd.js';

/** The file the harness loads into slapd. */
const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));

const skip = inject('slapdSkip');

async function dryRun(
  config: TestConfig,
  env: NodeJS.ProcessEnv = BIND_ENV,
): Promise<{ dir: string; result: Awaited<ReturnType<typeof push>> }> {
  const dir = await tempDir();
  await writeConfig(dir, config);
  const loaded = await loadConfig({ cwd: dir, env });
  return { dir, result: await push(loaded.config, { dryRun: true }) };
}

async function failure(
  config: TestConfig,
  env: NodeJS.ProcessEnv = BIND_ENV,
): Promise<{ error: AdsyncError; dir: string }> {
  const dir = await tempDir();
  await writeConfig(dir, config);
  const loaded = await loadConfig({ cwd: dir, env });
  const error: unknown = await push(loaded.config, { dryRun: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AdsyncError)) throw new Error(`expected an AdsyncError, got ${String(error)}`);
  return { error, dir };
}

async function outputFiles(dir: string): Promise<string[]> {
  return readdir(join(dir, 'out')).catch(() => []);
}

describe.skipIf(skip !== '')(`export from a real slapd${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('writes the receptionist CSV: OUs, a group union under one slug, paging, sorting, rejects', async () => {
    const { dir, result } = await dryRun(exampleConfig());
    expect(await readFile(result.csvPath, 'utf8')).toBe(EXPECTED_RECEPTIONIST_CSV);
    expect(result.locations).toEqual([
      { slug: 'hq', rows: 7, rejected: 6, extraContacts: 0 },
      { slug: 'warehouse', rows: 3, rejected: 0, extraContacts: 0 },
    ]);
    expect(result.csvPath.startsWith(join(dir, 'out', 'adsync-receptionist-'))).toBe(true);

    const rejects = parse<Record<string, string>>(await readFile(result.rejectsPath, 'utf8'), {
      columns: true,
    });
    // In the order found: the directory's order, then the rows losing a shared value.
    expect(rejects.map((r) => [r['Source DN'], r.Reasons])).toEqual([
      [
        'uid=nophone,ou=hq,ou=people,dc=example,dc=com',
        'SMS Phone "12" (from mobile) is not a phone number and there is no Email: no way to reach the contact',
      ],
      ['uid=nogiven,ou=hq,ou=people,dc=example,dc=com', 'First Name is required but empty'],
      ['uid=bademail,ou=hq,ou=people,dc=example,dc=com', 'Email "not an email" is not a valid email address'],
      [
        'uid=newline,ou=hq,ou=people,dc=example,dc=com',
        'Business Title contains a control character (U+000A) in "Line one\\nLine two"; fix the value in the directory',
      ],
      [
        'uid=dup1,ou=hq,ou=people,dc=example,dc=com',
        'duplicate Email "dup@example.com" is also on the row of Dora Dup <dup@example.com> (uid=dup2,ou=hq,ou=people,dc=example,dc=com), and nobody held it in the last push: left empty on each of them, and the row has no other key the vendor could match it by',
      ],
      [
        'uid=dup2,ou=hq,ou=people,dc=example,dc=com',
        'duplicate Email "dup@example.com" is also on the row of Dana Dup <dup@example.com> (uid=dup1,ou=hq,ou=people,dc=example,dc=com), and nobody held it in the last push: left empty on each of them, and the row has no other key the vendor could match it by',
      ],
    ]);
    expect(result.warnings.slice(0, -1)).toEqual([
      {
        dn: 'uid=eve,ou=hq,ou=people,dc=example,dc=com',
        location: 'hq',
        message:
          'Business Title "=HYPERLINK(\\"http://x\\")" starts with "=": a spreadsheet would run it as a formula; left empty (fix the value in the directory)',
      },
      {
        dn: 'uid=badphone,ou=hq,ou=people,dc=example,dc=com',
        location: 'hq',
        message: 'SMS Phone "call me maybe" (from mobile) is not a phone number; left empty',
      },
      // A dry run with no baseline says what a real push would need.
    ]);
    expect(result.warnings.at(-1)?.message).toContain('there is no baseline for this vendor account');
  });

  it('is deterministic: two runs give the same bytes', async () => {
    const a = await dryRun(exampleConfig());
    const b = await dryRun(exampleConfig());
    expect(await readFile(b.result.csvPath)).toEqual(await readFile(a.result.csvPath));
  });

  it('sorts in bounded runs on disk: any run size gives the same CSV, rejects, plan and warnings', async () => {
    for (const overrides of [{}, { target: { profile: 'ilobby' }, columns: {} }]) {
      const { result } = await dryRun(exampleConfig(overrides));
      const dir = await tempDir();
      await writeConfig(dir, exampleConfig(overrides));
      const { config } = await loadConfig({ cwd: dir, env: BIND_ENV });
      for (const sortMemoryRows of [1, 2, 3]) {
        const files = runFiles({ dir: join(dir, `out-${sortMemoryRows}`), profile: 'x', stamp: 's' });
        const exported = await exportToFiles(config, {
          files,
          previous: undefined,
          keepContacts: true,
          sortMemoryRows,
        });
        try {
          expect(await readFile(files.csvPath, 'utf8')).toBe(await readFile(result.csvPath, 'utf8'));
          expect(await readFile(files.rejectsPath, 'utf8')).toBe(await readFile(result.rejectsPath, 'utf8'));
          expect(JSON.parse(await readFile(files.planPath, 'utf8'))).toEqual(
            JSON.parse(await readFile(result.planPath, 'utf8')),
          );
          // The push adds one warning of its own: no baseline (a dry run of a new target).
          expect(exported.result.warnings).toEqual(result.warnings.slice(0, -1));
          // The next state's contact list has one line per CSV row.
          const contacts = (await readFile(exported.contactsFile ?? '', 'utf8')).trimEnd().split('\n');
          expect(contacts).toHaveLength(result.rows);
        } finally {
          await exported.dispose();
        }
        // Nothing is left behind but the run's files.
        expect((await readdir(join(dir, `out-${sortMemoryRows}`))).sort()).toEqual(
          [basename(files.csvPath), basename(files.rejectsPath), basename(files.planPath)].sort(),
        );
      }
    }
  });

  it('uses entryUUID as Identification by default', async () => {
    const { result } = await dryRun(exampleConfig({ columns: {} }));
    const rows = parse<Record<string, string>>(await readFile(result.csvPath, 'utf8'), { columns: true });
    expect(rows).toHaveLength(10);
    for (const row of rows)
      expect(row.Identification).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('writes the iLobby layout', async () => {
    const { result } = await dryRun(exampleConfig({ target: { profile: 'ilobby' }, columns: {} }));
    const lines = (await readFile(result.csvPath, 'utf8')).split('\r\n');
    expect(lines[0]).toBe('FIRSTNAME,LASTNAME,TITLE,DIVISION,EMAIL,MOBILE,DESKPHONE,SITE');
    // Phones as iLobby's sample writes them: national digits for numbers at home.
    expect(lines).toContain('小龍,李,,,li@example.com,,4165550102,hq');
    expect(lines).toContain('Wendy,Ware,"Forklift, Lead",,wendy@example.com,4165550199,,warehouse');
    // iLobby matches by email: the SMS-only contact cannot be sent.
    const rejects = parse<Record<string, string>>(await readFile(result.rejectsPath, 'utf8'), {
      columns: true,
    });
    expect(
      rejects.find((r) => r['Source DN'] === 'uid=smsonly,ou=hq,ou=people,dc=example,dc=com')?.Reasons,
    ).toBe('EMAIL is required but empty (the vendor matches contacts by email)');
  });

  it('exports the Planet Express directory by group, with a multi-valued RDN and multi-valued mail', async () => {
    const { result } = await dryRun({
      directory: { kind: 'ldap', url: inject('ldapUrl'), baseDN: 'dc=planetexpress,dc=com' },
      locations: [
        { slug: 'ship', groups: ['cn=ship_crew,ou=people,dc=planetexpress,dc=com'] },
        { slug: 'office', groups: ['cn=admin_staff,ou=people,dc=planetexpress,dc=com'] },
        { slug: 'everyone', ous: ['ou=people,dc=planetexpress,dc=com'] },
      ],
      target: { profile: 'receptionist' },
      columns: { Identification: 'uid' },
    });
    const rows = parse<Record<string, string>>(await readFile(result.csvPath, 'utf8'), { columns: true });
    const by = (slug: string): string[] =>
      rows
        .filter((r) => r['Location Slug'] === slug)
        .map((r) => `${r['First Name']} ${r['Last Name']} <${r.Email}> ${r.Department}`);
    expect(by('ship')).toEqual([
      'Philip Fry <fry@planetexpress.com> Delivering Crew',
      'Bender Rodriguez <bender@planetexpress.com> Delivering Crew',
      'Leela Turanga <leela@planetexpress.com> Delivering Crew',
    ]);
    expect(by('office')).toEqual([
      'Hermes Conrad <hermes@planetexpress.com> Office Management',
      'Hubert Farnsworth <professor@planetexpress.com> Office Management',
    ]);
    expect(by('everyone')).toHaveLength(7);
    expect(rows.find((r) => r.Identification === 'amy')?.['Last Name']).toBe('Kroker');
  });

  it('searches one level only with scope: one (nothing there: the empty-export guard stops it)', async () => {
    const { error, dir } = await failure(
      exampleConfig({ locations: [{ slug: 'top', ous: ['ou=people,dc=example,dc=com'], scope: 'one' }] }),
    );
    expect(error.code).toBe('GUARD_TRIPPED');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('empty-export: the export has no rows at all');
    expect((await outputFiles(dir)).some((f) => f.startsWith('plan-'))).toBe(true); // the plan is kept for review
  });

  it('reads over LDAPS with the harness CA and reports the TLS version', async () => {
    const config = exampleConfig();
    const { result } = await dryRun({
      ...config,
      directory: { ...config.directory, url: inject('ldapsUrl'), caFile: inject('caFile') },
    });
    expect(result.connection.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(await readFile(result.csvPath, 'utf8')).toBe(EXPECTED_RECEPTIONIST_CSV);
  });

  it('reads over StartTLS with TLS 1.3 required', async () => {
    const config = exampleConfig();
    const { result } = await dryRun({
      ...config,
      directory: { ...config.directory, startTLS: true, caFile: inject('caFile'), tlsMinVersion: 'TLSv1.3' },
    });
    expect(result.connection.tlsVersion).toBe('TLSv1.3');
    expect(result.rows).toBe(10);
  });

  it('refuses a certificate from an unknown CA, saying which CA to provide', async () => {
    const config = exampleConfig();
    const noCa = await failure({ ...config, directory: { ...config.directory, url: inject('ldapsUrl') } });
    expect(noCa.error.code).toBe('LDAP_TLS');
    expect(noCa.error.hint).toContain('Set directory.caFile');
    const wrongCa = await failure({
      ...config,
      directory: { ...config.directory, startTLS: true, caFile: inject('otherCaFile') },
    });
    expect(wrongCa.error.code).toBe('LDAP_TLS');
    expect(wrongCa.error.message).toContain('StartTLS');
    expect(wrongCa.error.hint).toContain(inject('otherCaFile'));
    expect(await outputFiles(wrongCa.dir)).toEqual([]);
  });

  it('fails a bad password with a clear bind error and writes nothing', async () => {
    const { error, dir } = await failure(exampleConfig(), { TEST_BIND_PASSWORD: 'wrong-password' });
    expect(error.code).toBe('LDAP_BIND');
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      `bind failed for cn=adsync,ou=services,dc=example,dc=com at ${inject('ldapUrl')}: invalid credentials`,
    );
    expect(error.hint).toContain('bindPassword');
    expect(await outputFiles(dir)).toEqual([]);
  });

  it('fails a missing OU naming the location, the OU and the LDAP result', async () => {
    const config = exampleConfig();
    const { error, dir } = await failure({
      ...config,
      locations: [...config.locations, { slug: 'lab', ous: ['ou=lab,ou=people,dc=example,dc=com'] }],
    });
    expect(error.code).toBe('LDAP_NO_SUCH_OBJECT');
    expect(error.message).toBe(
      `location "lab": search of ou=lab,ou=people,dc=example,dc=com on ${inject('ldapUrl')} failed: the base does not exist (noSuchObject, 32)`,
    );
    expect(await outputFiles(dir)).toEqual([]);
  });

  it("fails when the server's size limit cuts the search short", async () => {
    const config = exampleConfig();
    const { error, dir } = await failure(
      { ...config, directory: { ...config.directory, bindDN: 'cn=limited,ou=services,dc=example,dc=com' } },
      { TEST_BIND_PASSWORD: 'limited-password' },
    );
    expect(error.code).toBe('LDAP_SIZE_LIMIT');
    expect(error.message).toContain('location "hq"');
    expect(await outputFiles(dir)).toEqual([]);
  });

  it('fails when the connection drops in the middle of a paged search', async () => {
    const url = new URL(inject('ldapUrl'));
    // Enough bytes for the bind and the first page or two, not for the whole search.
    const proxy = await startCuttingProxy(Number(url.port), 900);
    try {
      const config = exampleConfig();
      const { error, dir } = await failure({
        ...config,
        directory: { ...config.directory, url: `ldap://127.0.0.1:${proxy.port}`, pageSize: 2 },
      });
      expect(error.code).toBe('LDAP_SEARCH');
      expect(error.message).toContain('connection lost');
      expect(await outputFiles(dir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('refuses to go on anonymously when the connection drops between two searches', async () => {
    const url = new URL(inject('ldapUrl'));
    const proxy = await startCuttingProxy(Number(url.port), 10_000_000);
    const directory = new LdapDirectory({
      urls: [`ldap://127.0.0.1:${proxy.port}`],
      bindDN: 'cn=adsync,ou=services,dc=example,dc=com',
      bindPassword: 'svc-password-123',
      startTLS: false,
      tlsMinVersion: 'TLSv1.2',
      connectTimeoutMs: 5000,
      timeoutMs: 5000,
      pageSize: 100,
    });
    const search = {
      base: 'ou=hq,ou=people,dc=example,dc=com',
      scope: 'sub' as const,
      filter: '(objectClass=inetOrgPerson)',
      attributes: ['mail'],
      bufferAttributes: [],
      location: 'hq',
    };
    try {
      await directory.open();
      const first: string[] = [];
      for await (const entry of directory.search(search)) first.push(entry.dn);
      expect(first.length).toBeGreaterThan(0);
      proxy.dropAll();
      await new Promise((r) => setTimeout(r, 100));
      const again = async (): Promise<number> => {
        let n = 0;
        for await (const entry of directory.search(search)) n += entry.dn ? 1 : 0;
        return n;
      };
      // Without the check ldapts would reconnect through the proxy, unbound, and read anonymously.
      await expect(again()).rejects.toMatchObject({
        code: 'LDAP_SEARCH',
        message: expect.stringContaining('was lost between searches') as string,
      });
    } finally {
      await directory.close();
      await proxy.close();
    }
  });

  it('reads the same entries, bytes and failures through the search thread as in the main thread', async () => {
    const options = {
      urls: [inject('ldapUrl')],
      bindDN: 'cn=adsync,ou=services,dc=example,dc=com',
      bindPassword: 'svc-password-123',
      startTLS: false,
      tlsMinVersion: 'TLSv1.2' as const,
      connectTimeoutMs: 5000,
      timeoutMs: 5000,
      // Many small pages: the thread runs ahead of the reader, bounded by its acknowledgements.
      pageSize: 2,
    };
    const Built = await builtLdapDirectory();
    const threaded = new Built(options);
    const local = new LdapDirectory({ ...options, searchThread: false });
    const request = {
      base: 'ou=people,dc=example,dc=com',
      scope: 'sub' as const,
      filter: '(objectClass=inetOrgPerson)',
      attributes: ['cn', 'sn', 'mail', 'telephoneNumber', 'entryUUID'],
      // Bytes cross from the thread as well as text.
      bufferAttributes: ['cn'],
      location: '',
    };
    try {
      await Promise.all([threaded.open(), local.open()]);
      const expected = await readSearch(local, request);
      expect(expected.entries.length).toBeGreaterThan(10);
      expect(expected.entries[0]?.values.cn?.[0]).toMatch(/^bytes:/);
      expect(await readSearch(threaded, request)).toEqual(expected);
      expect(threaded.threaded).toBe(true);
      expect(local.threaded).toBe(false);
      // A search left early ends the thread; the next search starts another.
      for await (const entry of threaded.search(request)) if (entry.dn) break;
      expect(threaded.threaded).toBe(false);
      expect(await readSearch(threaded, request)).toEqual(expected);
      // A failure in the thread is the error the main thread would have thrown.
      const missing = { ...request, base: 'ou=nowhere,dc=example,dc=com', location: 'hq' };
      const failed = await searchFailure(threaded, missing);
      expect(failed).toEqual(await searchFailure(local, missing));
      expect(failed).toMatchObject({ name: 'DirectoryError', code: 'LDAP_NO_SUCH_OBJECT' });
      // A new thread serves the next search.
      expect(await readSearch(threaded, request)).toEqual(expected);
    } finally {
      await Promise.all([threaded.close(), local.close()]);
    }
    expect(threaded.threaded).toBe(false);
  });

  it('fails when the server stops answering in the middle of a search (operation timeout)', async () => {
    const url = new URL(inject('ldapUrl'));
    const proxy = await startCuttingProxy(Number(url.port), 900, 'stall');
    try {
      const config = exampleConfig();
      const { error, dir } = await failure({
        ...config,
        directory: {
          ...config.directory,
          url: `ldap://127.0.0.1:${proxy.port}`,
          pageSize: 2,
          timeoutSeconds: 1,
        },
      });
      expect(error.code).toBe('LDAP_TIMEOUT');
      expect(error.message).toContain('timed out');
      expect(error.hint).toContain('timeoutSeconds');
      expect(await outputFiles(dir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('treats a server that never answers the bind as unreachable', async () => {
    const url = new URL(inject('ldapUrl'));
    const proxy = await startCuttingProxy(Number(url.port), 0, 'stall');
    try {
      const config = exampleConfig();
      const { error } = await failure({
        ...config,
        directory: { ...config.directory, url: `ldap://127.0.0.1:${proxy.port}`, timeoutSeconds: 1 },
      });
      expect(error.code).toBe('LDAP_CONNECT');
      expect(error.message).toBe(
        `cannot reach ldap://127.0.0.1:${proxy.port}: BindRequest: Operation timed out`,
      );
    } finally {
      await proxy.close();
    }
  });

  it('fails over to the next URL when a server cannot be reached, and reports it', async () => {
    const config = exampleConfig();
    const { result } = await dryRun({
      ...config,
      directory: { ...config.directory, url: ['ldap://127.0.0.1:1', inject('ldapUrl')] },
    });
    expect(result.connection.url).toBe(inject('ldapUrl'));
    expect(result.connection.failedOver).toEqual([
      { url: 'ldap://127.0.0.1:1', error: 'cannot reach ldap://127.0.0.1:1: ECONNREFUSED' },
    ]);
    expect(result.rows).toBe(10);
  });

  it('fails clearly when no server can be reached', async () => {
    const config = exampleConfig();
    const { error } = await failure({
      ...config,
      directory: { ...config.directory, url: 'ldap://127.0.0.1:1' },
    });
    expect(error.code).toBe('LDAP_CONNECT');
    expect(error.message).toBe('cannot reach ldap://127.0.0.1:1: ECONNREFUSED');
  });

  it('rejects values that are not valid UTF-8, naming the attribute', async () => {
    // slapd keeps text attributes valid UTF-8, and binary ones (walt's audio) are refused as
    // columns: the export's bytes come as a text attribute of an LDIF file, which has no schema.
    const dir = await tempDir();
    const file = join(dir, 'export.ldif');
    await writeFile(file, (await readFile(EXAMPLE_LDIF, 'utf8')).replace(/^audio::/m, 'description::'));
    const { result } = await dryRun({
      ...exampleConfig({ columns: { Identification: 'employeeNumber', Slack: 'description' } }),
      directory: { kind: 'ldif', file, baseDN: 'dc=example,dc=com' },
    });
    const rejects = parse<Record<string, string>>(await readFile(result.rejectsPath, 'utf8'), {
      columns: true,
    });
    expect(
      rejects.find((r) => r['Source DN'] === 'uid=walt,ou=warehouse,ou=people,dc=example,dc=com')?.Reasons,
    ).toBe(
      'Slack (from description) is not valid UTF-8 text: "\uFFFDWalt\uFFFD"; fix the value in the directory',
    );
  });

  it('check reports each URL, the TLS version and a preview per location', async () => {
    const dir = await tempDir();
    const config = exampleConfig();
    await writeConfig(dir, {
      ...config,
      directory: {
        ...config.directory,
        url: [inject('ldapsUrl'), 'ldap://127.0.0.1:1'],
        caFile: inject('caFile'),
      },
    });
    const loaded = await loadConfig({ cwd: dir, env: BIND_ENV });
    const result = await check(loaded.config, { previewRows: 5 });
    expect(result.urls[0]).toMatchObject({
      url: inject('ldapsUrl'),
      ok: true,
      boundAs: 'cn=adsync,ou=services,dc=example,dc=com',
    });
    expect(result.urls[0]?.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(result.urls[1]).toMatchObject({ ok: false, error: { code: 'LDAP_CONNECT' } });
    expect(result.locations.map((l) => [l.slug, l.rows, l.preview.length])).toEqual([
      ['hq', 7, 5],
      ['warehouse', 3, 3],
    ]);
    expect(result.locations[1]?.preview[0]?.[0]).toBe('Ada');
  });
});
