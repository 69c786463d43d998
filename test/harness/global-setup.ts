import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

import type { TestProject } from 'vitest/node';

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
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  export interface ProvidedContext extends HarnessValues {}
}

export const EXAMPLE_SUFFIX = 'dc=example,dc=com';
export const PLANET_SUFFIX = 'dc=planetexpress,dc=com';

let slapd: Slapd | undefined;

/**
 * Build the CLI once (the end-to-end tests run bin/adsync.js) and start one slapd, seeded with
 * the project's fixtures and the Planet Express directory, for every test file.
 * @param project vitest's project, to provide values to tests
 */
export async function setup(project: TestProject): Promise<void> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const missing = slapdUnavailable();
  if (missing) {
    if (process.env.CI) throw new Error(`CI must run the directory tests, but ${missing}`);
    const banner = '!'.repeat(78);
    console.error(
      `\n${banner}\n!! SKIPPING every directory test: ${missing}\n!! Install it (apt-get install slapd ldap-utils) to run them.\n${banner}\n`,
    );
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
      ldif: [{ file: new URL('../fixtures/example.ldif', import.meta.url).pathname }],
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
  await slapd?.stop();
}
