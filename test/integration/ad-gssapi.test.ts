// Kerberos binds against the Samba AD domain controller and its own KDC: a domain account's
// keytab (samba-tool domain exportkeytab), the DC's SPN, channel bindings on LDAPS and StartTLS.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { LdapDirectoryOptions } from '../../src/directory/ldap/options.js';
import type { KerberosSettings } from '../../src/directory/ldap/settings.js';
import { LdapDirectory } from '../../src/directory/ldap/source.js';
import { DirectoryError } from '../../src/errors.js';
import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { AD } from '../harness/ad-data.js';
import { adConfig } from '../harness/ad-config.js';
import { runAdsync } from '../harness/cli.js';
import { mockTarget } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';

const skip = inject('adSkip');

describe.skipIf(skip !== '')('auth: gssapi against Samba AD', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    Object.assign(process.env, { KRB5_CONFIG: inject('adKrb5Conf'), KRB5CCNAME: 'MEMORY:' });
  });
  afterAll(() => {
    for (const key of ['KRB5_CONFIG', 'KRB5CCNAME'])
      if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = saved[key];
  });

  const spn = (): string => `ldap/${inject('adDnsHostName')}`;
  const options = (url: string, kerberos: KerberosSettings): LdapDirectoryOptions => ({
    urls: [url],
    startTLS: url.startsWith('ldap://'),
    caFile: inject('adCaFile'),
    tlsMinVersion: 'TLSv1.2',
    connectTimeoutMs: 5000,
    timeoutMs: 20000,
    pageSize: 200,
    searchThread: false,
    auth: { kind: 'gssapi', ...kerberos },
  });

  it.each([
    ['ldaps://', () => inject('adLdapsUrl')],
    ['StartTLS', () => inject('adLdapUrl')],
  ])('binds as svc-adsync from its keytab over %s, with no password anywhere', async (_, url) => {
    const directory = new LdapDirectory(options(url(), { keytab: inject('adKeytab'), spn: spn() }));
    try {
      const info = await directory.open();
      expect(info.boundAs).toBe(`svc-adsync@CORP.EXAMPLE.COM (Kerberos, ${spn()})`);
      const found: string[] = [];
      for await (const entry of directory.search({
        base: AD.baseDN,
        scope: 'sub',
        filter: '(sAMAccountName=svc-adsync)',
        attributes: ['sAMAccountName'],
        bufferAttributes: [],
        location: '',
      }))
        found.push(entry.dn);
      expect(found).toEqual([AD.svc.dn]);
    } finally {
      await directory.close();
    }
  });

  it('points to kerberos.spn when the URL host is not the DC name the KDC knows', async () => {
    const directory = new LdapDirectory(options(inject('adLdapsUrl'), { keytab: inject('adKeytab') }));
    const error: unknown = await directory.open().catch((e: unknown) => e);
    await directory.close();
    expect(error).toBeInstanceOf(DirectoryError);
    expect(error).toMatchObject({
      code: 'LDAP_KERBEROS',
      details: { kind: 'unknown-service', spn: 'ldap/127.0.0.1' },
    });
    expect((error as DirectoryError).hint).toContain('directory.kerberos.spn');
  });

  describe('the CLI, with no password in the config or the environment', () => {
    const SECRET = 'ad-kerberos-client-secret-0123456789';
    let mock: MockServer;
    let cwd: string;
    const env = (): NodeJS.ProcessEnv => ({
      KRB5_CONFIG: inject('adKrb5Conf'),
      KRB5CCNAME: 'MEMORY:',
      ADSYNC_CLIENT_SECRET: SECRET,
    });
    beforeAll(async () => {
      mock = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }] });
      cwd = await tempDir();
      await writeFile(join(cwd, 'mock-ca.pem'), mock.certificate);
      const base = adConfig();
      const directory = Object.fromEntries(
        Object.entries(base.directory).filter(([key]) => key !== 'bindDN' && key !== 'bindPassword'),
      );
      await writeConfig(cwd, {
        ...base,
        directory: { ...directory, auth: 'gssapi', kerberos: { spn: spn(), keytab: inject('adKeytab') } },
        target: mockTarget(mock.url, './mock-ca.pem'),
      });
    });
    afterAll(async () => {
      await mock.stop();
    });

    it('check binds as svc-adsync with Kerberos and previews every location', async () => {
      const run = await runAdsync(['check'], { cwd, env: env() });
      const out = run.stdout + run.stderr;
      expect(run.code, out).toBe(0);
      expect(out).toContain(`bound as svc-adsync@CORP.EXAMPLE.COM (Kerberos, ${spn()})`);
      expect(out).not.toContain('password');
    });

    it('exports (push --dry-run), explains a nested-group member, and pushes to the vendor', async () => {
      const exported = await runAdsync(['push', '--dry-run', '--json'], { cwd, env: env() });
      expect(exported.code, exported.stderr).toBe(0);
      const { csvPath } = JSON.parse(exported.stdout) as { csvPath: string };
      const csv = await readFile(csvPath, 'utf8');
      expect(csv.trim().split('\n')).toHaveLength(9);
      const explained = await runAdsync(['explain', 'hank'], { cwd, env: env() });
      expect(explained.code).toBe(0);
      expect(explained.stdout).toContain(AD.forkliftOperators);
      const pushed = await runAdsync(['push', '--first-push'], { cwd, env: env() });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(mock.contacts().length).toBe(8);
    });
  });
});
