import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';

import type { TestProject } from 'vitest/node';

import { sambaUnavailable, startSamba, type SambaDc } from './samba.js';
import { npmTool } from './tools.js';
import { PLANET_EXPRESS_DIR, slapdUnavailable, startSlapd, type Slapd } from './slapd.js';

/** Values the global setup hands to test files through `inject`. */
export interface HarnessValues {
  /** Why the directory tests are skipped ('' when they run). */
  slapdSkip: string;
  /** ldap:// URL. */
  ldapUrl: string;
  /** ldaps:// URL. */
  ldapsUrl: string;
  /** The harness CA. */
  caFile: string;
  /** An unrelated CA. */
  otherCaFile: string;
  /** Root password of both suffixes. */
  rootPassword: string;
  /** Why the Active Directory tests are skipped ('' when they run). */
  adSkip: string;
  /** ldap:// URL of the Samba AD DC. */
  adLdapUrl: string;
  /** ldaps:// URL of the Samba AD DC. */
  adLdapsUrl: string;
  /** CA of the DC's certificate. */
  adCaFile: string;
  /** An unrelated CA. */
  adOtherCaFile: string;
  /** The domain's sam.ldb, for samba-tool. */
  adSamLdb: string;
  /** KRB5_CONFIG for the domain's KDC. */
  adKrb5Conf: string;
  /** svc-adsync's keytab. */
  adKeytab: string;
  /** The DC's DNS host name (its SPN is ldap/<this>). */
  adDnsHostName: string;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  export interface ProvidedContext extends HarnessValues {}
}

export const EXAMPLE_SUFFIX = 'dc=example,dc=com';
export const PLANET_SUFFIX = 'dc=planetexpress,dc=com';

let slapd: Slapd | undefined;
let samba: SambaDc | undefined;

const banner = (what: string, why: string, how: string): void => {
  const line = '!'.repeat(78);
  console.error(`\n${line}\n!! SKIPPING every ${what} test: ${why}\n!! ${how}\n${line}\n`);
};

/**
 * Build the CLI once (the end-to-end tests run bin/adsync.js) and start one slapd, seeded with
 * the project's fixtures and the Planet Express directory, for every test file.
 * @param project vitest's project, to provide values to tests
 */
export async function setup(project: TestProject): Promise<void> {
  const npx = npmTool('npx');
  execFileSync(npx.command, ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit', shell: npx.shell });
  const ad = setupSamba(project);
  try {
    await setupSlapd(project);
  } finally {
    await ad;
  }
}

async function setupSamba(project: TestProject): Promise<void> {
  const missing = await sambaUnavailable();
  const keys = [
    'adLdapUrl',
    'adLdapsUrl',
    'adCaFile',
    'adOtherCaFile',
    'adSamLdb',
    'adKrb5Conf',
    'adKeytab',
    'adDnsHostName',
  ] as const;
  if (missing) {
    if (process.env.CI) throw new Error(`CI must run the Active Directory tests, but ${missing}`);
    banner(
      'Active Directory',
      missing,
      "Run as root with Debian's samba installed (apt-get install samba samba-ad-dc samba-ad-provision).",
    );
    for (const key of keys) project.provide(key, '');
    project.provide('adSkip', missing);
    return;
  }
  samba = await startSamba();
  project.provide('adSkip', '');
  project.provide('adLdapUrl', samba.ldapUrl);
  project.provide('adLdapsUrl', samba.ldapsUrl);
  project.provide('adCaFile', samba.caFile);
  project.provide('adOtherCaFile', samba.otherCaFile);
  project.provide('adSamLdb', samba.samLdb);
  project.provide('adKrb5Conf', samba.krb5Conf);
  project.provide('adKeytab', samba.keytab);
  project.provide('adDnsHostName', samba.dnsHostName);
}

async function setupSlapd(project: TestProject): Promise<void> {
  const missing = slapdUnavailable();
  if (missing) {
    if (process.env.CI) throw new Error(`CI must run the directory tests, but ${missing}`);
    banner('OpenLDAP', missing, 'Install it (apt-get install slapd ldap-utils openssl) to run them.');
    for (const key of ['ldapUrl', 'ldapsUrl', 'caFile', 'otherCaFile', 'rootPassword'] as const)
      project.provide(key, '');
    project.provide('slapdSkip', missing);
    return;
  }
  const planet = readdirSync(PLANET_EXPRESS_DIR)
    .filter((f) => /^\d.*\.ldif$/.test(f))
    .sort()
    .map((f) => ({ file: `${PLANET_EXPRESS_DIR}${f}` }));
  slapd = await startSlapd([
    {
      suffix: EXAMPLE_SUFFIX,
      groupClass: 'groupOfNames',
      ldif: [{ file: fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url)) }],
      extra: ['limits dn.exact="cn=limited,ou=services,dc=example,dc=com" size=3'],
    },
    { suffix: PLANET_SUFFIX, groupClass: 'Group', ldif: planet },
  ]);
  project.provide('slapdSkip', '');
  project.provide('ldapUrl', slapd.url);
  project.provide('ldapsUrl', slapd.ldapsUrl);
  project.provide('caFile', slapd.caFile);
  project.provide('otherCaFile', slapd.otherCaFile);
  project.provide('rootPassword', slapd.rootPassword);
}

/** Stop slapd and remove its files. */
export async function teardown(): Promise<void> {
  await Promise.all([slapd?.stop(), samba?.stop()]);
}
