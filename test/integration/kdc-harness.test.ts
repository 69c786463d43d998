// The Kerberos harness end to end with the operating system's own tools (kinit, ldapwhoami):
// what the GSSAPI product tests rely on, proved without any adsync code.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kerberosSkip, startKdc, type Kdc } from '../harness/kdc.js';
import { listening, slapdUnavailable, startSlapd, type Slapd } from '../harness/slapd.js';

const run = promisify(execFile);

const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const SUFFIX = 'dc=example,dc=com';
/** A principal maps to the person (uid) or service (cn) entry of its name, when there is one. */
const MAP_TO = `ldap:///${SUFFIX}??sub?(|(uid=$1)(cn=$1))`;

const skip = kerberosSkip(slapdUnavailable());

/**
 * ldapwhoami's answer for a SASL GSSAPI bind, with only the given Kerberos environment (no
 * reverse DNS for the SPN: -N, as adsync forms it from the URL's host).
 */
async function whoami(slapd: Slapd, url: string, env: Record<string, string>): Promise<string> {
  const startTls = url.startsWith('ldap://') ? ['-ZZ'] : [];
  const { stdout } = await run('ldapwhoami', ['-N', '-Q', '-Y', 'GSSAPI', '-H', url, ...startTls], {
    env: {
      ...process.env,
      LDAPTLS_CACERT: slapd.caFile,
      // libldap checks a certificate against the machine's own name, not "localhost", when the
      // URL says localhost (so does no other TLS client): the name check is off for those URLs,
      // the chain is still checked.
      ...(new URL(url).hostname === 'localhost' && { LDAPTLS_REQCERT: 'allow' }),
      ...env,
    },
  });
  return stdout.trim();
}

describe.skipIf(skip)('the private KDC and slapd accepting GSSAPI binds', () => {
  let kdc: Kdc | undefined;
  let slapd: Slapd | undefined;
  const servers = (): { kdc: Kdc; slapd: Slapd } => {
    if (!kdc || !slapd) throw new Error('the KDC and slapd are not started');
    return { kdc, slapd };
  };

  beforeAll(async () => {
    kdc = await startKdc();
    slapd = await startSlapd(
      [{ suffix: SUFFIX, groupClass: 'groupOfNames', ldif: [{ file: EXAMPLE_LDIF }] }],
      { gssapi: { kdc, mapTo: MAP_TO } },
    );
  });
  afterAll(async () => {
    await slapd?.stop();
    await kdc?.stop();
  });

  it('names the SPN after the URL host', () => {
    const { kdc, slapd } = servers();
    expect(slapd.gssapi).toEqual({ spn: `ldap/127.0.0.1@${kdc.realm}`, host: '127.0.0.1' });
    expect(slapd.url).toMatch(/^ldap:\/\/127\.0\.0\.1:\d+$/);
  });

  it('binds from a ticket cache filled by kinit, over StartTLS and ldaps://', async () => {
    const { kdc, slapd } = servers();
    await kdc.addPrincipal('ada', { password: 'ada-kerberos-pw' });
    const cache = await kdc.ticketCache('ada', 'ada-kerberos-pw');
    const env = { ...kdc.env, KRB5CCNAME: `FILE:${cache}` };
    const ada = `dn:uid=ada,ou=hq,ou=people,${SUFFIX}`;
    expect(await whoami(slapd, slapd.url, env)).toBe(ada);
    expect(await whoami(slapd, slapd.ldapsUrl, env)).toBe(ada);
  });

  it('binds from a client keytab alone (KRB5_CLIENT_KTNAME, an empty MEMORY: cache)', async () => {
    const { kdc, slapd } = servers();
    await kdc.addPrincipal('adsync');
    const keytab = await kdc.keytab(['adsync']);
    const env = { ...kdc.env, KRB5CCNAME: 'MEMORY:', KRB5_CLIENT_KTNAME: keytab };
    const service = `dn:cn=adsync,ou=services,${SUFFIX}`;
    expect(await whoami(slapd, slapd.url, env)).toBe(service);
    expect(await whoami(slapd, slapd.ldapsUrl, env)).toBe(service);
  });

  it('leaves a principal without an entry its cn=gssapi,cn=auth identity', async () => {
    const { kdc, slapd } = servers();
    await kdc.addPrincipal('stranger');
    const env = { ...kdc.env, KRB5CCNAME: 'MEMORY:', KRB5_CLIENT_KTNAME: await kdc.keytab(['stranger']) };
    expect(await whoami(slapd, slapd.url, env)).toBe(
      `dn:uid=stranger,cn=${kdc.realm.toLowerCase()},cn=gssapi,cn=auth`,
    );
  });

  it('refuses a bind without credentials, and one for an SPN the KDC does not know', async () => {
    const { kdc, slapd } = servers();
    const none = { ...kdc.env, KRB5CCNAME: 'MEMORY:' };
    await expect(whoami(slapd, slapd.url, none)).rejects.toThrow(/No Kerberos credentials available/);
    const keytab = await kdc.keytab(['adsync'], `${kdc.dir}/adsync-again.keytab`);
    const env = { ...kdc.env, KRB5CCNAME: 'MEMORY:', KRB5_CLIENT_KTNAME: keytab };
    const alias = slapd.url.replace('127.0.0.1', 'localhost');
    await expect(whoami(slapd, alias, env)).rejects.toThrow(/ldap\/localhost@ADSYNC\.TEST not found/);
  });

  it('serves localhost URLs with an ldap/localhost SPN when asked', async () => {
    const { kdc } = servers();
    const other = await startSlapd(
      [{ suffix: SUFFIX, groupClass: 'groupOfNames', ldif: [{ file: EXAMPLE_LDIF }] }],
      { gssapi: { kdc, host: 'localhost', mapTo: `uid=$1,ou=people,${SUFFIX}` } },
    );
    let again: Slapd | undefined;
    try {
      // A second slapd of the same host shares the principal rather than failing on it.
      again = await startSlapd([{ suffix: SUFFIX, groupClass: 'groupOfNames', ldif: [] }], {
        gssapi: { kdc, host: 'localhost', mapTo: `uid=$1,ou=people,${SUFFIX}` },
      });
      expect(other.gssapi?.spn).toBe(`ldap/localhost@${kdc.realm}`);
      expect(again.gssapi?.spn).toBe(other.gssapi?.spn);
      await kdc.addPrincipal('zoe');
      const env = { ...kdc.env, KRB5CCNAME: 'MEMORY:', KRB5_CLIENT_KTNAME: await kdc.keytab(['zoe']) };
      // A DN replacement maps every principal, entry or not.
      expect(await whoami(other, other.url, env)).toBe(`dn:uid=zoe,ou=people,${SUFFIX}`);
      expect(await whoami(other, other.ldapsUrl, env)).toBe(`dn:uid=zoe,ou=people,${SUFFIX}`);
      expect(await whoami(again, again.url, env)).toBe(`dn:uid=zoe,ou=people,${SUFFIX}`);
    } finally {
      await Promise.all([other.stop(), again?.stop()]);
    }
  });
});

describe.skipIf(skip)('the KDC harness', () => {
  it('stops the KDC and leaves nothing behind', async () => {
    const kdc = await startKdc({ realm: 'STOP.TEST' });
    expect(await listening(kdc.port)).toBe(true);
    await kdc.addPrincipal('someone', { password: 'someone-pw' });
    expect(existsSync(await kdc.ticketCache('someone', 'someone-pw'))).toBe(true);
    await kdc.stop();
    expect(await listening(kdc.port)).toBe(false);
    expect(existsSync(kdc.dir)).toBe(false);
  });

  it('fails loudly on a kadmin error instead of going on without the principal', async () => {
    const kdc = await startKdc();
    try {
      await kdc.addPrincipal('twice');
      await expect(kdc.addPrincipal('twice')).rejects.toThrow(/already exists/);
      await expect(kdc.keytab(['nobody'])).rejects.toThrow(/does not exist/);
      await expect(kdc.ticketCache('twice', 'not-its-password')).rejects.toThrow(/kinit/);
    } finally {
      await kdc.stop();
    }
  });
});
