import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MockServer } from '../../src/mock-server/server.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { mockTarget } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { startTrustedMock } from '../harness/mock.js';

const SECRET = 'guard-default-client-secret-0123';
const BASE = 'dc=sites,dc=example';

/** An LDIF export with `big` people in ou=big and `small` in ou=small, each with an email. */
function company(big: number, small: number): string {
  const person = (ou: string, n: number): string =>
    [
      `dn: uid=${ou}${n},ou=${ou},${BASE}`,
      'objectClass: inetOrgPerson',
      `uid: ${ou}${n}`,
      `cn: Person ${ou} ${n}`,
      `givenName: Person${n}`,
      `sn: ${ou === 'big' ? 'Big' : 'Small'}${String(n).padStart(2, '0')}`,
      `mail: ${ou}${n}@sites.example`,
      '',
    ].join('\n');
  return [
    ...Array.from({ length: big }, (_, n) => person('big', n)),
    ...Array.from({ length: small }, (_, n) => person('small', n)),
  ].join('\n');
}

describe('the default archive guard holds both lines: a small site loses one, a large one loses 30% (CLI, LDIF, mock vendor)', () => {
  let mock: MockServer;
  let caFile: string;
  beforeAll(async () => {
    ({ mock, caFile } = await startTrustedMock(SECRET));
  });
  afterAll(async () => {
    await mock.stop();
  });
  const sh = (args: string[], cwd: string): Promise<CliRun> =>
    runAdsync(args, { cwd, env: { ADSYNC_CLIENT_SECRET: SECRET } });

  it('9 losing 1 passes; 40 losing 12 stops (exit 3) with the defaults', async () => {
    const cwd = await tempDir();
    // No safety section: the defaults are under test.
    await writeConfig(cwd, {
      directory: { kind: 'ldif', file: './people.ldif', flavor: 'ldap', baseDN: BASE },
      locations: [
        { slug: 'big', ous: [`ou=big,${BASE}`] },
        { slug: 'small', ous: [`ou=small,${BASE}`] },
      ],
      target: mockTarget(mock.url, caFile),
      output: { dir: './out' },
    });
    const ldif = join(cwd, 'people.ldif');
    await writeFile(ldif, company(40, 9));
    const first = await sh(['push', '--first-push'], cwd);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('all 49 contacts are new');

    // One leaver at the small site: 11% of it, but not more than safety.archiveFloor (2).
    await writeFile(ldif, company(40, 8));
    const leaver = await sh(['push'], cwd);
    expect(leaver.code, leaver.stderr).toBe(0);
    expect(leaver.stderr).toContain('Plan: 0 to create, 0 to update, 1 to archive, 48 unchanged');

    // A quarter and more of the large site at once: the percent stops it, here and overall.
    const uploads = mock.uploads().length;
    await writeFile(ldif, company(28, 8));
    const stopped = await sh(['push'], cwd);
    expect(stopped.code, stopped.stderr).toBe(3);
    expect(stopped.stderr).toContain(
      'archive-percent: would archive 12 of 40 contacts (30%) in location big; limit 10% (counted above 2 archives)',
    );
    expect(stopped.stderr).toContain('would archive 12 of 48 contacts (25%) in all locations');
    expect(stopped.stderr).toContain('--allow-archive 12');
    expect(mock.uploads().length).toBe(uploads);
  });
});
