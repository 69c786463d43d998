// auth: gssapi end to end: the real CLI against slapd and a private MIT KDC, with a config that
// holds no password anywhere. Every run gets only the KDC's Kerberos environment (its own
// KRB5_CONFIG, a MEMORY: or FILE: cache), never this machine's.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startMockServer } from '../../src/mock-server/server.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { EXPECTED_RECEPTIONIST_CSV, exampleConfig, mockTarget } from '../harness/example-config.js';
import { allFilesText, tempDir, writeConfig } from '../harness/files.js';
import { kerberosSkip, startKdc, type Kdc } from '../harness/kdc.js';
import { freePort, slapdUnavailable, startSlapd, type Slapd } from '../harness/slapd.js';
import { until } from '../harness/clock.js';

const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const SUFFIX = 'dc=example,dc=com';
const MAP_TO = `ldap:///${SUFFIX}??sub?(|(uid=$1)(cn=$1))`;
const SERVICE = `cn=adsync,ou=services,${SUFFIX}`;
const SECRET = 'kerberos-e2e-client-secret-5Tq9';
const skip = kerberosSkip(slapdUnavailable());
/** kadmin.local, to change principals the harness has made (present when skip is unset). */
const KADMIN_LOCAL =
  ['/usr/sbin/kadmin.local', '/usr/local/sbin/kadmin.local'].find((p) => existsSync(p)) ?? '';

describe.skipIf(skip)('auth: gssapi through the CLI (slapd, an MIT KDC, no password)', () => {
  let kdc: Kdc;
  let slapd: Slapd;
  let keytab: string;

  beforeAll(async () => {
    kdc = await startKdc();
    slapd = await startSlapd(
      [{ suffix: SUFFIX, groupClass: 'groupOfNames', ldif: [{ file: EXAMPLE_LDIF }] }],
      { gssapi: { kdc, mapTo: MAP_TO } },
    );
    await kdc.addPrincipal('adsync');
    keytab = await kdc.keytab(['adsync']);
  });
  afterAll(async () => {
    await slapd.stop();
    await kdc.stop();
  });

  /** Only the realm's environment and an empty in-memory cache, unless a test says otherwise. */
  const krbEnv = (more: Record<string, string> = {}): Record<string, string> => ({
    ...kdc.env,
    KRB5CCNAME: 'MEMORY:',
    ...more,
  });

  /** The directory section: auth: gssapi, no bindDN, no password. */
  const directory = (
    how: 'ldaps' | 'startTLS' | 'plain',
    kerberos: Record<string, unknown> | null,
  ): Record<string, unknown> => ({
    kind: 'ldap',
    baseDN: SUFFIX,
    pageSize: 4,
    auth: 'gssapi',
    ...(kerberos && { kerberos }),
    url: how === 'ldaps' ? slapd.ldapsUrl : slapd.url,
    ...(how === 'startTLS' && { startTLS: true }),
    caFile: slapd.caFile,
  });

  /** A project whose config binds with Kerberos (from the service keytab unless told). */
  async function project(
    how: 'ldaps' | 'startTLS' | 'plain' = 'ldaps',
    kerberos: Record<string, unknown> | null = { keytab },
  ): Promise<string> {
    const cwd = await tempDir();
    await writeConfig(cwd, exampleConfig({ directory: directory(how, kerberos) }));
    return cwd;
  }

  const run = (args: string[], cwd: string, env = krbEnv()): Promise<CliRun> => runAdsync(args, { cwd, env });

  for (const how of ['ldaps', 'startTLS'] as const) {
    it(`${how}: check binds from the keytab and says as whom and how`, async () => {
      const cwd = await project(how);
      expect(await readFile(join(cwd, 'adsync.yaml'), 'utf8')).not.toMatch(/password|bindDN|secret/i);
      const check = await run(['check'], cwd);
      expect(check.stderr).toContain(`bound as ${SERVICE} (Kerberos, ldap/127.0.0.1)`);
      expect(check.code, check.stderr).toBe(0);
    });
  }

  it('push --dry-run exports every person from a keytab (searches in the search thread, the default)', async () => {
    const dry = await run(['push', '--dry-run'], await project());
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/read 17 entries from ldaps:\/\/127\.0\.0\.1:\d+ \(TLSv1\.3\)/);
    expect(await readFile(dry.stdout.trim(), 'utf8')).toBe(EXPECTED_RECEPTIONIST_CSV);
  });

  it('binds and exports from a ticket cache (KRB5CCNAME=FILE:) with no keytab configured', async () => {
    await kdc.addPrincipal('ada', { password: 'ada-kerberos-pw' });
    const cache = await kdc.ticketCache('ada', 'ada-kerberos-pw');
    const cwd = await project('startTLS', null);
    const env = krbEnv({ KRB5CCNAME: `FILE:${cache}` });
    const check = await run(['check'], cwd, env);
    expect(check.stderr).toContain(`bound as uid=ada,ou=hq,ou=people,${SUFFIX} (Kerberos, ldap/127.0.0.1)`);
    expect(check.code, check.stderr).toBe(0);
    const dry = await run(['push', '--dry-run'], cwd, env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(await readFile(dry.stdout.trim(), 'utf8')).toBe(EXPECTED_RECEPTIONIST_CSV);
  });

  it('binds from the keytab KRB5_CLIENT_KTNAME names, with no kerberos section at all', async () => {
    const check = await run(['check'], await project('ldaps', null), krbEnv({ KRB5_CLIENT_KTNAME: keytab }));
    expect(check.stderr).toContain(`bound as ${SERVICE} (Kerberos, ldap/127.0.0.1)`);
    expect(check.code, check.stderr).toBe(0);
  });

  it('explain shows why a person is sent, bound with Kerberos', async () => {
    const human = await run(['explain', 'ada'], await project());
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`Ada Lovelace <ada@example.com>  uid=ada,ou=hq,ou=people,${SUFFIX}`);
    expect(human.stdout).toContain('✔ hq: sent; the next push creates the contact');
    expect(human.stdout).toContain(`member of cn=warehouse-staff,ou=groups,${SUFFIX} (directly)`);
  });

  it('a first push uploads every contact to the mock vendor, bound with Kerberos', async () => {
    const mock = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }] });
    try {
      const cwd = await tempDir();
      const caFile = join(cwd, 'mock-ca.pem');
      await writeFile(caFile, mock.certificate);
      const target = { ...mockTarget(mock.url, caFile), retries: { attempts: 1 } };
      await writeConfig(
        cwd,
        exampleConfig({ directory: directory('startTLS', { keytab }), target, state: { dir: './state' } }),
      );
      const env = krbEnv({ ADSYNC_CLIENT_SECRET: SECRET });
      const first = await run(['push', '--first-push', '--json'], cwd, env);
      expect(first.code, first.stderr).toBe(0);
      const report = JSON.parse(first.stdout) as { upload: unknown; directory: { boundAs: string } };
      expect(report.directory.boundAs).toBe(`${SERVICE} (Kerberos, ldap/127.0.0.1)`);
      expect(report.upload).toMatchObject({ status: 'uploaded', summary: { created: 10, errors: [] } });
      expect(mock.contacts()).toHaveLength(10);
      const again = await run(['push'], cwd, env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/unchanged\s+10/);
    } finally {
      await mock.stop();
    }
  });

  /** A failed check's exit code and the error of its --json report. */
  async function failedCheck(
    cwd: string,
    env = krbEnv(),
  ): Promise<{ exit: number | null; code: string; message: string; hint: string; stderr: string }> {
    const r = await run(['check', '--json'], cwd, env);
    const report = JSON.parse(r.stdout) as {
      urls: { error?: { code: string; message: string; hint: string } }[];
    };
    const error = report.urls[0]?.error;
    if (!error) throw new Error(`check did not fail:\n${r.stdout}`);
    return { exit: r.code, ...error, stderr: r.stderr };
  }

  it('no ticket and no keytab: exit 1, LDAP_KERBEROS, pointing to directory.kerberos.keytab', async () => {
    const failed = await failedCheck(await project('ldaps', null));
    expect(failed).toMatchObject({ exit: 1, code: 'LDAP_KERBEROS' });
    expect(failed.message).toContain('failed before the server was asked');
    expect(failed.message).toContain('No credentials were supplied');
    expect(failed.hint).toContain('adsync found no Kerberos ticket and no keytab');
    expect(failed.hint).toContain('directory.kerberos.keytab');
    // The same through push: the human output carries message and hint.
    const push = await run(['push', '--dry-run'], await project('ldaps', null));
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('directory.kerberos.keytab');
  });

  it('an SPN the KDC does not know (an alias): exit 1, pointing to directory.kerberos.spn', async () => {
    const failed = await failedCheck(await project('ldaps', { keytab, spn: 'ldap/alias.example' }));
    expect(failed).toMatchObject({ exit: 1, code: 'LDAP_KERBEROS' });
    expect(failed.message).toContain('a Kerberos ticket for ldap/alias.example');
    expect(failed.message).toContain('Server not found in Kerberos database');
    expect(failed.hint).toContain('The KDC knows no service principal ldap/alias.example');
    expect(failed.hint).toContain('directory.kerberos.spn');
  });

  it('a KDC that does not answer (its port closed): exit 1, kdc-unreachable', async () => {
    const closed = await freePort();
    const dir = await tempDir();
    const conf = join(dir, 'krb5.conf');
    const text = await readFile(kdc.env.KRB5_CONFIG ?? '', 'utf8');
    await writeFile(
      conf,
      text.replace(`kdc = 127.0.0.1:${String(kdc.port)}`, `kdc = 127.0.0.1:${String(closed)}`),
    );
    const failed = await failedCheck(await project(), krbEnv({ KRB5_CONFIG: conf }));
    expect(failed).toMatchObject({ exit: 1, code: 'LDAP_KERBEROS' });
    expect(failed.message).toContain('Cannot contact any KDC for requested realm');
    expect(failed.hint).toContain('No KDC of the realm answered');
    expect(failed.hint).toContain('krb5.conf (KRB5_CONFIG)');
  });

  it('an expired ticket (kinit -l 1s, then its own end time passed): exit 1, renew or use a keytab', async () => {
    await kdc.addPrincipal('bob', { password: 'bob-kerberos-pw' });
    const env = krbEnv({ KRB5CCNAME: `FILE:${join(kdc.dir, 'short.ccache')}` });
    const tools = { env: { ...process.env, ...env } };
    execFileSync('kinit', ['-l', '1s', 'bob'], { ...tools, input: 'bob-kerberos-pw\n' });
    // klist -s fails from the end time's second on; libkrb5 refuses the ticket only after that
    // second (now > end), so wait for the clock to leave it too.
    await until('the ticket to expire', () =>
      Promise.resolve(spawnSync('klist', ['-s'], tools).status !== 0),
    );
    const second = Math.floor(Date.now() / 1000);
    await until('the next second', () => Promise.resolve(Math.floor(Date.now() / 1000) > second));
    const failed = await failedCheck(await project('ldaps', null), env);
    expect(failed).toMatchObject({ exit: 1, code: 'LDAP_KERBEROS' });
    expect(failed.message).toContain('Ticket expired');
    expect(failed.hint).toContain('The ticket in the cache has expired: renew it (kinit)');
    expect(failed.hint).toContain('directory.kerberos.keytab');
  });

  it('clock skew: the KDC refuses a client whose clock is an hour ahead of its own', async () => {
    await kdc.addPrincipal('carol', { password: 'carol-kerberos-pw' });
    const cache = await kdc.ticketCache('carol', 'carol-kerberos-pw');
    // libkrb5 keeps "the KDC's time minus ours" in the ccache header (tag 1, kdc_timesync) and
    // applies it to every later request: an offset of +3600 s makes this client's clock an hour
    // ahead, as a machine without time synchronisation would be. The KDC compares.
    const bytes = await readFile(cache);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('0504000c00010008');
    bytes.writeInt32BE(3600, 8);
    await writeFile(cache, bytes);
    const failed = await failedCheck(await project('ldaps', null), krbEnv({ KRB5CCNAME: `FILE:${cache}` }));
    expect(failed).toMatchObject({ exit: 1, code: 'LDAP_KERBEROS' });
    expect(failed.message).toContain('Clock skew too great');
    expect(failed.hint).toContain("This machine's clock and the KDC's differ");
  });

  it('a slapd without a Kerberos key of its own refuses the bind, and says what it lacks', async () => {
    // Cyrus SASL's GSSAPI plugin is installed, so any slapd offers GSSAPI; one started without
    // the gssapi option has no keytab (what an OpenLDAP not set up for Kerberos answers).
    const other = await startSlapd([
      { suffix: SUFFIX, groupClass: 'groupOfNames', ldif: [{ file: EXAMPLE_LDIF }] },
    ]);
    try {
      const cwd = await tempDir();
      const server = { url: other.ldapsUrl, caFile: other.caFile };
      await writeConfig(cwd, exampleConfig({ directory: { ...directory('ldaps', { keytab }), ...server } }));
      const failed = await failedCheck(cwd);
      expect(failed).toMatchObject({ exit: 1, code: 'LDAP_BIND' });
      expect(failed.message).toContain(
        `the Kerberos (GSSAPI) bind to ${other.ldapsUrl} was refused (result 80`,
      );
      expect(failed.message).toContain("Key table file '/etc/krb5.keytab' not found");
      expect(failed.hint).toContain("check that its keytab holds that principal's current key");
    } finally {
      await other.stop();
    }
  });

  it('auth: gssapi over plain ldap:// without startTLS is a config error (exit 2)', async () => {
    const cwd = await project('plain');
    for (const args of [['check'], ['push', '--dry-run']]) {
      const r = await run(args, cwd);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `auth: gssapi over ${slapd.url}: no security layer without TLS: use ldaps:// or startTLS: true`,
      );
    }
  });

  it("the keytab's content never reaches the output or the files adsync writes", async () => {
    const listing = execFileSync('klist', ['-k', '-K', '-e', keytab], {
      env: { ...process.env, ...kdc.env },
    });
    const keys = [...listing.toString().matchAll(/\(0x([0-9a-f]+)\)/g)].map((m) => m[1] ?? '');
    expect(keys.length).toBeGreaterThan(0);
    const raw = await readFile(keytab);
    const forms = keys.flatMap((hex) => [hex, hex.toUpperCase(), Buffer.from(hex, 'hex').toString('base64')]);
    forms.push(raw.toString('base64'), raw.toString('hex'));
    const cwd = await project('ldaps', { keytab });
    const outputs: string[] = [];
    for (const args of [
      ['check', '--verbose'],
      ['check', '--json'],
      ['push', '--dry-run', '--verbose'],
    ]) {
      const r = await run(args, cwd);
      expect(r.code, r.stderr).toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    const wrong = await run(
      ['check', '--json', '--verbose'],
      await project('ldaps', { keytab, spn: 'ldap/x.example' }),
    );
    outputs.push(wrong.stdout, wrong.stderr, await allFilesText(cwd));
    const all = outputs.join('\n');
    for (const form of forms) expect(all).not.toContain(form);
  });
  it('a server that does not offer GSSAPI (none in its root DSE): exit 1, LDAP_AUTH_METHOD', async () => {
    // sasl-secprops forwardsec: GSSAPI does not provide forward secrecy, so slapd offers no
    // mechanism at all (an empty supportedSASLMechanisms), as a server without the module.
    const other = await startSlapd(
      [{ suffix: SUFFIX, groupClass: 'groupOfNames', ldif: [{ file: EXAMPLE_LDIF }] }],
      { gssapi: { kdc, mapTo: MAP_TO }, global: ['sasl-secprops noanonymous,forwardsec'] },
    );
    try {
      const cwd = await tempDir();
      const server = { url: other.url, startTLS: true, caFile: other.caFile };
      await writeConfig(cwd, exampleConfig({ directory: { ...directory('ldaps', { keytab }), ...server } }));
      const failed = await failedCheck(cwd);
      expect(failed).toMatchObject({ exit: 1, code: 'LDAP_AUTH_METHOD' });
      expect(failed.message).toContain(`the Kerberos (GSSAPI) bind to ${other.url} was refused (result 7:`);
      expect(failed.hint).toContain(
        'The server does not offer SASL GSSAPI: check its supportedSASLMechanisms',
      );
    } finally {
      await other.stop();
    }
  });
  it('an account the KDC refuses (password or account expired, disabled): exit 1, fix the account', async () => {
    const admin = { env: { ...process.env, ...kdc.env, KRB5_KDC_PROFILE: join(kdc.dir, 'kdc.conf') } };
    const cases = [
      ['pwexpired', 'modprinc -pwexpire yesterday', 'Password has expired'],
      ['expired', 'modprinc -expire yesterday', "Client's entry in database has expired"],
      ['disabled', 'modprinc -allow_tix', "Client's credentials have been revoked"],
    ];
    for (const [name = '', query = '', said = ''] of cases) {
      await kdc.addPrincipal(name);
      const tab = await kdc.keytab([name]);
      execFileSync(KADMIN_LOCAL, ['-q', `${query} ${name}`], admin);
      const failed = await failedCheck(await project('ldaps', { keytab: tab }));
      expect(failed).toMatchObject({ exit: 1, code: 'LDAP_KERBEROS' });
      expect(failed.message).toContain(said);
      // Not "the ticket in the cache has expired … use a keytab": it is using one.
      expect(failed.hint).toContain('The KDC refuses the client account itself');
    }
  });
});
