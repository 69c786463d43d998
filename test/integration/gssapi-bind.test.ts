// adsync's own Kerberos (SASL GSSAPI) bind against slapd and a private MIT KDC: the exchange on
// adsync's socket, the hand-over to ldapts, searches on the bound connection (in this thread and
// in the search thread), and the errors a sysadmin meets.
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DirectoryError } from '../../src/errors.js';
import type { LdapDirectoryOptions } from '../../src/directory/ldap/options.js';
import type { KerberosSettings } from '../../src/directory/ldap/settings.js';
import { LdapDirectory } from '../../src/directory/ldap/source.js';
import { kerberosSkip, startKdc, type Kdc } from '../harness/kdc.js';
import { slapdUnavailable, startSlapd, type Slapd } from '../harness/slapd.js';

const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const SUFFIX = 'dc=example,dc=com';
const MAP_TO = `ldap:///${SUFFIX}??sub?(|(uid=$1)(cn=$1))`;
const skip = kerberosSkip(slapdUnavailable());

describe.skipIf(skip)('auth: gssapi against slapd and an MIT KDC', () => {
  let kdc: Kdc;
  let slapd: Slapd;
  let keytab: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    kdc = await startKdc();
    slapd = await startSlapd(
      [{ suffix: SUFFIX, groupClass: 'groupOfNames', ldif: [{ file: EXAMPLE_LDIF }] }],
      {
        gssapi: { kdc, mapTo: MAP_TO },
      },
    );
    await kdc.addPrincipal('adsync');
    keytab = await kdc.keytab(['adsync']);
    // MIT Kerberos reads its configuration from the environment of this process.
    Object.assign(process.env, kdc.env, { KRB5CCNAME: 'MEMORY:' });
  });
  afterAll(async () => {
    for (const key of Object.keys(kdc.env).concat('KRB5CCNAME', 'KRB5_CLIENT_KTNAME'))
      if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
    await slapd.stop();
    await kdc.stop();
  });

  const options = (url: string, kerberos: KerberosSettings, more = {}): LdapDirectoryOptions => ({
    urls: [url],
    startTLS: url.startsWith('ldap://'),
    caFile: slapd.caFile,
    tlsMinVersion: 'TLSv1.2',
    connectTimeoutMs: 5000,
    timeoutMs: 10000,
    pageSize: 2,
    auth: { kind: 'gssapi', ...kerberos },
    ...more,
  });

  async function people(directory: LdapDirectory): Promise<string[]> {
    const dns: string[] = [];
    for await (const entry of directory.search({
      base: `ou=people,${SUFFIX}`,
      scope: 'sub',
      filter: '(uid=*)',
      attributes: ['uid'],
      bufferAttributes: [],
      location: '',
    }))
      dns.push(entry.dn);
    return dns;
  }

  it.each([
    ['ldaps://', (s: Slapd) => s.ldapsUrl],
    ['StartTLS', (s: Slapd) => s.url],
  ])('binds from a keytab over %s, as the mapped entry, and searches page by page', async (_, url) => {
    const directory = new LdapDirectory(options(url(slapd), { keytab }, { searchThread: false }));
    try {
      const info = await directory.open();
      expect(info.boundAs).toBe(`cn=adsync,ou=services,${SUFFIX} (Kerberos, ldap/127.0.0.1)`);
      expect(info.tlsVersion).toMatch(/^TLSv1\.[23]$/);
      expect((await people(directory)).length).toBeGreaterThan(2);
    } finally {
      await directory.close();
    }
  });

  it('binds the search thread the same way (its own connection)', async () => {
    const directory = new LdapDirectory(options(slapd.ldapsUrl, { keytab }, { searchThread: true }));
    try {
      await directory.open();
      expect((await people(directory)).length).toBeGreaterThan(2);
    } finally {
      await directory.close();
    }
  });

  it('binds from a ticket cache (KRB5CCNAME) with no keytab configured', async () => {
    await kdc.addPrincipal('ada', { password: 'ada-kerberos-pw' });
    process.env.KRB5CCNAME = `FILE:${await kdc.ticketCache('ada', 'ada-kerberos-pw')}`;
    const directory = new LdapDirectory(options(slapd.ldapsUrl, {}));
    try {
      expect((await directory.open()).boundAs).toBe(
        `uid=ada,ou=hq,ou=people,${SUFFIX} (Kerberos, ldap/127.0.0.1)`,
      );
    } finally {
      process.env.KRB5CCNAME = 'MEMORY:';
      await directory.close();
    }
  });

  async function failure(opts: LdapDirectoryOptions): Promise<DirectoryError> {
    const directory = new LdapDirectory(opts);
    try {
      await directory.open();
    } catch (error) {
      if (error instanceof DirectoryError) return error;
      throw error;
    } finally {
      await directory.close();
    }
    throw new Error('the bind succeeded');
  }

  it('says so when there is no ticket and no keytab', async () => {
    const error = await failure(options(slapd.ldapsUrl, {}));
    expect(error.code).toBe('LDAP_KERBEROS');
    expect(error.details).toMatchObject({ kind: 'no-credentials' });
    expect(error.hint).toContain('directory.kerberos.keytab');
  });

  it('points to kerberos.spn when the KDC does not know the SPN (an alias)', async () => {
    const error = await failure(options(slapd.ldapsUrl, { keytab, spn: 'ldap/alias.example' }));
    expect(error.code).toBe('LDAP_KERBEROS');
    expect(error.details).toMatchObject({ kind: 'unknown-service', spn: 'ldap/alias.example' });
    expect(error.hint).toContain('directory.kerberos.spn');
  });

  it('names a keytab that does not exist', async () => {
    const error = await failure(options(slapd.ldapsUrl, { keytab: `${kdc.dir}/missing.keytab` }));
    expect(error.code).toBe('LDAP_KERBEROS');
    expect(error.hint).toContain('missing.keytab');
  });
});
