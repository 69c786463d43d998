import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

import { parse } from 'csv-parse/sync';
import { describe, expect, inject, it } from 'vitest';

import { check } from '../../src/commands/check/run.js';
import { explain } from '../../src/commands/explain/run.js';
import { push, type PushResult } from '../../src/pipeline/push.js';
import { loadConfig } from '../../src/config/load.js';
import { AdsyncError, ConfigError } from '../../src/errors.js';
import { LdapDirectory } from '../../src/directory/ldap/source.js';
import { AD } from '../harness/ad-data.js';
import { adConfig, type Config } from '../harness/ad-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { builtLdapDirectory, readSearch } from '../harness/search-thread.js';

const skip = inject('adSkip');
const ENV = { AD_BIND_PASSWORD: AD.svc.password };

const withDirectory = (changes: Record<string, unknown>, base = adConfig()): Config => ({
  ...base,
  directory: { ...base.directory, ...changes },
});

async function dryRun(config: Config, env: NodeJS.ProcessEnv = ENV): Promise<PushResult> {
  const dir = await tempDir();
  await writeConfig(dir, config);
  const loaded = await loadConfig({ cwd: dir, env });
  return push(loaded.config, { dryRun: true });
}

async function failure(config: Config, env: NodeJS.ProcessEnv = ENV): Promise<AdsyncError> {
  const error: unknown = await dryRun(config, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AdsyncError)) throw new Error(`expected an AdsyncError, got ${String(error)}`);
  return error;
}

async function rows(result: PushResult): Promise<Record<string, string>[]> {
  return parse<Record<string, string>>(await readFile(result.csvPath, 'utf8'), { columns: true });
}

/** What samba-tool itself says about an attribute of a user: the independent reference. */
function sambaToolShow(user: string, attribute: string): string {
  const out = execFileSync('samba-tool', [
    'user',
    'show',
    user,
    '-H',
    inject('adSamLdb'),
    `--attributes=${attribute}`,
  ]).toString();
  const line = out.split('\n').find((l) => l.startsWith(`${attribute}: `));
  if (!line) throw new Error(`samba-tool printed no ${attribute}:\n${out}`);
  return line.slice(attribute.length + 2).trim();
}

const names = (list: Record<string, string>[], slug: string): string[] =>
  list.filter((r) => r['Location Slug'] === slug).map((r) => `${r['First Name']} ${r['Last Name']}`);

describe.skipIf(skip !== '')(`Active Directory (Samba AD DC)${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('exports OUs, nested groups and several locations; disabled accounts never appear', async () => {
    const result = await dryRun(adConfig());
    const list = await rows(result);
    expect(names(list, 'hq')).toEqual(['Zoë Ångström', 'Hank Hoist', 'Lara Lab', '小龍 李']);
    // Hank is in Forklift Operators, which is a member of Warehouse Staff.
    expect(names(list, 'warehouse')).toEqual(['Hank Hoist', 'Lara Lab', 'Wendy Ware']);
    expect(names(list, 'lab')).toEqual(['Lara Lab']);
    expect(list.map((r) => r.Email)).not.toContain('dina@corp.example.com');
    expect(result.connection.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(result.rejected).toBe(0);
  });

  it('follows only direct membership with nested: false', async () => {
    const base = adConfig();
    const result = await dryRun({
      ...base,
      locations: [
        { slug: 'warehouse', ous: [AD.warehouse] },
        { slug: 'warehouse', groups: [AD.warehouseStaff], nested: false },
      ],
    });
    expect(names(await rows(result), 'warehouse')).toEqual(['Lara Lab', 'Wendy Ware']);
  });

  it('renders objectGUID and objectSid exactly as samba-tool shows them', async () => {
    const result = await dryRun(adConfig({ columns: { Slack: { from: 'objectSid', format: 'sid' } } }));
    const hank = (await rows(result)).find(
      (r) => r.Email === 'hank@corp.example.com' && r['Location Slug'] === 'hq',
    );
    expect(hank?.Identification).toBe(sambaToolShow('hank', 'objectGUID'));
    expect(hank?.Slack).toBe(sambaToolShow('hank', 'objectSid'));
    expect(hank?.Slack).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
  });

  it('writes a non-ASCII name byte for byte', async () => {
    const result = await dryRun(adConfig({ columns: { Identification: 'employeeID' } }));
    const bytes = await readFile(result.csvPath);
    const zoe = Buffer.from(
      'Zoë,Ångström,zoe@corp.example.com,+14165550101,"Head of ""Quality"", Europe",Quality,,,hq,E1001,\r\n',
      'utf8',
    );
    const li = Buffer.from('小龍,李,li@corp.example.com,,,研究,,,hq,E1002,\r\n', 'utf8');
    expect(bytes.includes(zoe)).toBe(true);
    expect(bytes.includes(li)).toBe(true);
  });

  it('exports all 2,500 users of one OU, past the 1000-entry page limit, whatever the page size', async () => {
    for (const pageSize of [500, 2000]) {
      const result = await dryRun({
        ...withDirectory({ pageSize }),
        locations: [{ slug: 'bulk', ous: [AD.bulk] }],
      });
      expect(result.rows).toBe(AD.bulkCount);
      const list = await rows(result);
      expect(new Set(list.map((r) => r.Email)).size).toBe(AD.bulkCount);
    }
  });

  it('reads every value of a 2,500-member attribute', async () => {
    const result = await dryRun({
      ...withDirectory({ userFilter: '(objectClass=group)' }),
      locations: [{ slug: 'groups', ous: [AD.groups] }],
      target: { profile: 'custom', locationColumn: 'Site' },
      columns: { Name: 'cn', Members: { from: 'member', multi: 'join', separator: '|', maxLength: 200_000 } },
    });
    const list = parse<Record<string, string>>(await readFile(result.csvPath, 'utf8'), { columns: true });
    const members = (list.find((r) => r.Name === 'Bulk Everyone')?.Members ?? '').split('|');
    expect(members).toHaveLength(AD.bulkCount);
    expect(new Set(members).size).toBe(AD.bulkCount);
    expect(members).toContain(`CN=Bulk User 2499,${AD.bulk}`);
  });

  it('reads the same GUIDs, SIDs, ranged members and references through the search thread', async () => {
    const options = {
      urls: [inject('adLdapsUrl')],
      bindDN: AD.svc.upn,
      bindPassword: AD.svc.password,
      startTLS: false,
      caFile: inject('adCaFile'),
      tlsMinVersion: 'TLSv1.2' as const,
      connectTimeoutMs: 10_000,
      timeoutMs: 30_000,
      pageSize: 50,
    };
    const Built = await builtLdapDirectory();
    const threaded = new Built(options);
    const local = new LdapDirectory({ ...options, searchThread: false });
    const request = {
      base: AD.baseDN,
      scope: 'sub' as const,
      filter: '(|(objectClass=user)(objectClass=group))',
      attributes: ['sAMAccountName', 'objectGUID', 'objectSid', 'member;range=0-999'],
      bufferAttributes: ['objectGUID', 'objectSid'],
      location: '',
    };
    try {
      await Promise.all([threaded.open(), local.open()]);
      const expected = await readSearch(local, request);
      const everyone = expected.entries.find((e) => e.dn.toLowerCase() === AD.bulkEveryone.toLowerCase());
      // Completed past the first range, in the thread as in the main thread.
      expect(everyone?.values['member;range=0-999']).toHaveLength(AD.bulkCount);
      expect(expected.entries.every((e) => e.values.objectGUID?.[0]?.startsWith('bytes:'))).toBe(true);
      expect(expected.references.length).toBeGreaterThan(0);
      expect(await readSearch(threaded, request)).toEqual(expected);
      expect(threaded.threaded).toBe(true);
    } finally {
      await Promise.all([threaded.close(), local.close()]);
    }
  });

  it("refuses a column reading an attribute the DC's schema declares binary (dnsRecord, not in the fixed list)", async () => {
    const error = await failure(adConfig({ columns: { 'Business Title': 'dnsRecord' } }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('columns.Business Title: dnsRecord is binary');
    expect(error.message).toContain('1.3.6.1.4.1.1466.115.121.1.40');
  });

  it('completes a ranged answer (member;range=0-999) by fetching the remaining ranges', async () => {
    // Samba, unlike Windows, does not cut large attributes at MaxValRange on its own; asking for
    // a range makes it answer exactly as AD does past 1,500 values.
    const result = await dryRun({
      ...withDirectory({ userFilter: '(objectClass=group)' }),
      locations: [{ slug: 'groups', ous: [AD.groups] }],
      target: { profile: 'custom', locationColumn: 'Site' },
      columns: {
        Name: 'cn',
        Members: { from: 'member;range=0-999', multi: 'join', separator: '|', maxLength: 200_000 },
      },
    });
    const list = parse<Record<string, string>>(await readFile(result.csvPath, 'utf8'), { columns: true });
    const members = (list.find((r) => r.Name === 'Bulk Everyone')?.Members ?? '').split('|');
    expect(members).toHaveLength(AD.bulkCount);
    expect(new Set(members).size).toBe(AD.bulkCount);
  });

  it('iLobby: a person in several location groups keeps one row, in the first location, with a warning', async () => {
    const result = await dryRun(adConfig({ target: { profile: 'ilobby' } }));
    const lara = (await rows(result)).filter((r) => r.EMAIL === 'lara@corp.example.com');
    expect(lara.map((r) => r.SITE)).toEqual(['hq']);
    expect(result.warnings).toContainEqual({
      dn: `CN=Lara Lab,${AD.hq}`,
      location: 'hq',
      message:
        'lara@corp.example.com matches locations hq, warehouse, lab; iLobby holds one site per contact, so it is sent for hq only (the first in config order)',
    });
  });

  it('an Image column can be a URL template; thumbnailPhoto is refused as text', async () => {
    const result = await dryRun(
      adConfig({ columns: { Image: 'https://intranet.example.com/photos/{sAMAccountName}.jpg' } }),
    );
    expect((await rows(result)).find((r) => r.Email === 'zoe@corp.example.com')?.Image).toBe(
      'https://intranet.example.com/photos/zoe.jpg',
    );
    const dir = await tempDir();
    await writeConfig(dir, adConfig({ columns: { Image: 'thumbnailPhoto' } }));
    await expect(loadConfig({ cwd: dir, env: ENV })).rejects.toThrow(ConfigError);
    await expect(loadConfig({ cwd: dir, env: ENV })).rejects.toThrow(
      /thumbnailPhoto is a binary photo and is never put in the CSV/,
    );
  });

  it('fails over to the next domain controller and says which one was used', async () => {
    const result = await dryRun(withDirectory({ url: ['ldaps://127.0.0.1:1', inject('adLdapsUrl')] }));
    expect(result.connection.url).toBe(inject('adLdapsUrl'));
    expect(result.connection.failedOver).toEqual([
      { url: 'ldaps://127.0.0.1:1', error: 'cannot reach ldaps://127.0.0.1:1: ECONNREFUSED' },
    ]);
    expect(result.rows).toBe(8);
  });

  it('binds with a DN as well as a UPN', async () => {
    expect((await dryRun(withDirectory({ bindDN: AD.svc.dn }))).rows).toBe(8);
  });

  it('tells a wrong password, a locked account and an expired account apart', async () => {
    const wrong = await failure(withDirectory({ bindDN: AD.typo.upn }), { AD_BIND_PASSWORD: 'not-it' });
    expect(wrong.message).toBe(
      `bind failed for ${AD.typo.upn} at ${inject('adLdapsUrl')}: wrong password (AD code 52e)`,
    );
    const locked = await failure(withDirectory({ bindDN: AD.locked.upn }), {
      AD_BIND_PASSWORD: AD.locked.password,
    });
    expect(locked.message).toBe(
      `bind failed for ${AD.locked.upn} at ${inject('adLdapsUrl')}: account locked out (AD code 775)`,
    );
    expect(locked.hint).toContain('unlock it');
    const expired = await failure(withDirectory({ bindDN: AD.expired.upn }), {
      AD_BIND_PASSWORD: AD.expired.password,
    });
    expect(expired.message).toBe(
      `bind failed for ${AD.expired.upn} at ${inject('adLdapsUrl')}: account expired (AD code 701)`,
    );
    for (const e of [wrong, locked, expired]) expect(e.exitCode).toBe(1);
  });

  it('refuses an untrusted certificate, saying which CA to provide', async () => {
    const none = await failure(withDirectory({ caFile: undefined }));
    expect(none.code).toBe('LDAP_TLS');
    expect(none.hint).toContain(
      'Set directory.caFile to the PEM file of the CA that issued it (on AD: the enterprise root CA)',
    );
    const wrong = await failure(withDirectory({ caFile: inject('adOtherCaFile') }));
    expect(wrong.code).toBe('LDAP_TLS');
    expect(wrong.hint).toContain(inject('adOtherCaFile'));
  });

  it('points a refused plain-LDAP simple bind at LDAPS or StartTLS, and StartTLS works', async () => {
    const plain = await failure(withDirectory({ url: inject('adLdapUrl'), caFile: undefined }));
    expect(plain.code).toBe('LDAP_BIND');
    expect(plain.message).toContain('refused a simple bind over an unencrypted connection');
    expect(plain.hint).toBe('Use ldaps:// (port 636) or set directory.startTLS: true.');
    const startTls = await dryRun(withDirectory({ url: inject('adLdapUrl'), startTLS: true }));
    expect(startTls.connection.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(startTls.rows).toBe(8);
  });

  it('fails on a group that does not exist instead of emptying its location', async () => {
    const base = adConfig();
    const error = await failure({
      ...base,
      locations: [{ slug: 'lab', groups: [`CN=Lab Acess,${AD.groups}`] }],
    });
    expect(error.code).toBe('LDAP_NO_SUCH_OBJECT');
    expect(error.message).toContain(`location "lab": group CN=Lab Acess,${AD.groups} does not exist`);
  });

  it('ignores search continuation references from the domain root and reports them', async () => {
    const result = await dryRun(adConfig());
    // Group-only locations search from the domain root, where AD returns references to its
    // other partitions: they are listed, not chased, and change nothing.
    expect(result.references.length).toBeGreaterThan(0);
    expect(result.references).toContain(`ldaps://${AD.realm}/CN=Configuration,${AD.baseDN}`);
    expect(result.rows).toBe(8);
  });

  it('check reports the DC, TLS version, bind and a preview per location', async () => {
    const dir = await tempDir();
    await writeConfig(dir, adConfig());
    const loaded = await loadConfig({ cwd: dir, env: ENV });
    const result = await check(loaded.config, { previewRows: 5 });
    expect(result.urls).toEqual([
      {
        url: inject('adLdapsUrl'),
        ok: true,
        tlsVersion: expect.stringMatching(/^TLSv1\.[23]$/) as string,
        boundAs: AD.svc.upn,
        summary: expect.stringMatching(/^reachable, TLSv1\.[23], bound as /) as string,
      },
    ]);
    expect(result.urls[0]?.summary?.endsWith(`bound as ${AD.svc.upn}`)).toBe(true);
    expect(result.locations.map((l) => [l.slug, l.rows])).toEqual([
      ['hq', 4],
      ['lab', 1],
      ['warehouse', 3],
    ]);
  });

  it('explain: a disabled account, a nested-group member with its chain, a non-member, a group', async () => {
    const dir = await tempDir();
    await writeConfig(dir, adConfig());
    const { config } = await loadConfig({ cwd: dir, env: ENV });
    const at = async (query: string, slug: string) => {
      const result = await explain(config, query);
      expect(result.people).toHaveLength(1);
      const location = result.people[0]?.locations.find((l) => l.slug === slug);
      if (!location) throw new Error(`no location ${slug}`);
      return location;
    };
    const dina = await at('dina@corp.example.com', 'hq');
    expect(dina).toMatchObject({ matched: false, verdict: 'not-matched', action: 'none' });
    expect(dina.why).toEqual(['the account is disabled (userAccountControl 546 has bit 2, ACCOUNTDISABLE)']);
    const hank = `CN=Hank Hoist,${AD.hq}`;
    const warehouse = await at('hank', 'warehouse');
    expect(warehouse).toMatchObject({ matched: true, verdict: 'valid', action: 'create' });
    expect(warehouse.why).toContain(
      `search of ${AD.baseDN} (groups): member of ${AD.warehouseStaff} through nested groups: ${hank} → ${AD.forkliftOperators} → ${AD.warehouseStaff}`,
    );
    expect(warehouse.why).toContain(
      `search of ${AD.warehouse}: outside ${AD.warehouse} (not in its subtree)`,
    );
    const lab = await at(hank, 'lab');
    expect(lab).toMatchObject({ matched: false, verdict: 'not-matched' });
    expect(lab.why).toEqual([
      `not a member of ${AD.labAccess}, directly or through nested groups (groups checked: ${AD.forkliftOperators}; ${AD.warehouseStaff})`,
    ]);
    const lara = await at('Lara Lab', 'lab');
    expect(lara.why).toEqual([
      `matched by the search of ${AD.baseDN}`,
      `member of ${AD.labAccess} (directly)`,
    ]);
    const group = await at(AD.labAccess, 'lab');
    expect(group.why[0]).toMatch(
      /^not a person: the user filter takes objectCategory=person and objectClass=user/,
    );
  });
});
