import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, inject, it } from 'vitest';

import { check } from '../../src/commands/check/run.js';
import { push, type PushResult } from '../../src/pipeline/push.js';
import { loadConfig } from '../../src/config/load.js';
import { ldifUrl } from '../../src/directory/ldif/source.js';
import { AdsyncError } from '../../src/errors.js';
import {
  BIND_ENV,
  EXPECTED_RECEPTIONIST_CSV,
  exampleConfig,
  type TestConfig,
} from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { PLANET_EXPRESS_DIR } from '../harness/slapd.js';

const skip = inject('slapdSkip');
/** The very file the harness loads into slapd. */
const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
/** An ldifde-style export (CRLF, `changetype: add`, base64, folded lines) of a small AD. */
const AD_LDF = fileURLToPath(new URL('../fixtures/ad-export.ldf', import.meta.url));

interface Run {
  dir: string;
  result: PushResult;
  csv: string;
  rejects: string;
}

async function dryRun(config: TestConfig, env: NodeJS.ProcessEnv = BIND_ENV): Promise<Run> {
  const dir = await tempDir();
  await writeConfig(dir, config);
  const { config: resolved } = await loadConfig({ cwd: dir, env });
  const result = await push(resolved, { dryRun: true, now: new Date('2026-01-02T03:04:05.678Z') });
  return {
    dir,
    result,
    csv: await readFile(result.csvPath, 'utf8'),
    rejects: await readFile(result.rejectsPath, 'utf8'),
  };
}

/** The same config, reading an LDIF file instead of the server. */
function fromFile(config: TestConfig, file: string, extra: Record<string, unknown> = {}): TestConfig {
  const { baseDN } = config.directory;
  return { ...config, directory: { kind: 'ldif', file, ...(baseDN ? { baseDN } : {}), ...extra } };
}

describe('kind: ldif reads test/fixtures/example.ldif like the directory it seeds', () => {
  it('writes the same receptionist CSV the slapd export is tested against', async () => {
    const run = await dryRun(fromFile(exampleConfig(), EXAMPLE_LDIF));
    expect(run.csv).toBe(EXPECTED_RECEPTIONIST_CSV);
    expect(run.result.connection).toEqual({
      url: ldifUrl(EXAMPLE_LDIF),
      tlsVersion: undefined,
      boundAs: '(file)',
      failedOver: [],
      summary: `reading ${ldifUrl(EXAMPLE_LDIF)}`,
      checked: 'readable LDIF file',
    });
    expect(run.result.locations).toEqual([
      { slug: 'hq', rows: 7, rejected: 6, extraContacts: 0 },
      { slug: 'warehouse', rows: 3, rejected: 0, extraContacts: 0 },
    ]);
  });

  it('check reports the file as the one source and previews each location', async () => {
    const dir = await tempDir();
    await writeConfig(dir, fromFile(exampleConfig(), EXAMPLE_LDIF));
    const { config } = await loadConfig({ cwd: dir, env: {} });
    const result = await check(config, { previewRows: 2 });
    expect(result.urls).toEqual([
      {
        url: ldifUrl(EXAMPLE_LDIF),
        ok: true,
        tlsVersion: undefined,
        boundAs: '(file)',
        summary: 'readable LDIF file',
      },
    ]);
    expect(result.locations.map((l) => [l.slug, l.rows, l.preview.length])).toEqual([
      ['hq', 7, 2],
      ['warehouse', 3, 2],
    ]);
    expect(await readdir(dir)).toEqual(['adsync.yaml']);
  });

  it('fails a missing OU and a missing group like the server does, writing nothing', async () => {
    const config = exampleConfig();
    for (const [location, code, text] of [
      [
        { slug: 'lab', ous: ['ou=lab,ou=people,dc=example,dc=com'] },
        'LDAP_NO_SUCH_OBJECT',
        `location "lab": search of ou=lab,ou=people,dc=example,dc=com in ${ldifUrl(EXAMPLE_LDIF)} failed: the base does not exist (noSuchObject, 32)`,
      ],
      [
        { slug: 'lab', groups: ['cn=lab-staff,ou=groups,dc=example,dc=com'] },
        'LDAP_NO_SUCH_OBJECT',
        `location "lab": group cn=lab-staff,ou=groups,dc=example,dc=com does not exist in ${ldifUrl(EXAMPLE_LDIF)} (noSuchObject, 32)`,
      ],
    ] as const) {
      const dir = await tempDir();
      await writeConfig(
        dir,
        fromFile({ ...config, locations: [...config.locations, location] }, EXAMPLE_LDIF),
      );
      const { config: resolved } = await loadConfig({ cwd: dir, env: {} });
      const error: unknown = await push(resolved, { dryRun: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AdsyncError);
      expect((error as AdsyncError).code).toBe(code);
      expect((error as AdsyncError).message).toBe(text);
      expect(await readdir(dir)).not.toContain('out');
    }
  });
});

describe.skipIf(skip !== '')(
  `kind: ldif against the real slapd it mirrors${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const same = async (config: TestConfig, file: string): Promise<void> => {
      const server = await dryRun(config);
      const local = await dryRun(fromFile(config, file));
      expect(local.csv).toBe(server.csv);
      expect(local.rejects).toBe(server.rejects);
      expect(local.result.warnings).toEqual(server.result.warnings);
      expect(local.result.locations).toEqual(server.result.locations);
      expect(local.result.plan.create.length).toBe(server.result.plan.create.length);
    };

    it('gives byte-identical CSV and rejects to the slapd export (receptionist)', async () => {
      await same(exampleConfig(), EXAMPLE_LDIF);
    });

    it('gives byte-identical CSV and rejects to the slapd export (iLobby, one site per email)', async () => {
      await same(exampleConfig({ target: { profile: 'ilobby' }, columns: {} }), EXAMPLE_LDIF);
    });

    it('gives the same export of the Planet Express directory (groups, multi-valued RDN and mail)', async () => {
      const files = (await readdir(PLANET_EXPRESS_DIR)).filter((f) => /^\d.*\.ldif$/.test(f)).sort();
      const texts = await Promise.all(files.map((f) => readFile(join(PLANET_EXPRESS_DIR, f), 'utf8')));
      const file = join(await tempDir(), 'planetexpress.ldif');
      await writeFile(file, texts.map((t) => t.trim()).join('\n\n'));
      await same(
        {
          directory: { kind: 'ldap', url: inject('ldapUrl'), baseDN: 'dc=planetexpress,dc=com' },
          locations: [
            { slug: 'ship', groups: ['cn=ship_crew,ou=people,dc=planetexpress,dc=com'] },
            { slug: 'office', groups: ['cn=admin_staff,ou=people,dc=planetexpress,dc=com'] },
            { slug: 'everyone', ous: ['ou=people,dc=planetexpress,dc=com'] },
          ],
          target: { profile: 'receptionist' },
          columns: { Identification: 'uid' },
        },
        file,
      );
    });
  },
);

describe('flavor: ad over an ldifde export', () => {
  const base = 'DC=corp,DC=example,DC=com';
  const config: TestConfig = {
    directory: { kind: 'ldif', file: AD_LDF, flavor: 'ad', baseDN: base },
    locations: [
      { slug: 'hq', ous: [`OU=HQ,OU=Corp,${base}`] },
      { slug: 'warehouse', ous: [`OU=Warehouse,OU=Corp,${base}`] },
      { slug: 'warehouse', groups: [`CN=Warehouse Staff,OU=Groups,${base}`] },
    ],
    target: { profile: 'receptionist' },
    phone: { defaultCountry: 'CA' },
    output: { dir: './out' },
  };

  it('reads enabled people only, objectGUID as Identification, nested groups through in-chain', async () => {
    const run = await dryRun(config, {});
    expect(run.csv).toBe(
      [
        'First Name,Last Name,Email,SMS Phone,Business Title,Department,Image,PIN,Location Slug,Identification,Slack',
        'Zoë,Ångström,zoe@corp.example.com,,"Head of Quality Assurance for the Northern and Southern Regions, Europe and Overseas",Quality,,,hq,0b7e5a4c-2d1f-4e3a-9c8b-7a6f5e4d3c2b,',
        'Fred,Forklift,fred@corp.example.com,,,,,,hq,aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee,',
        'Ada,Lovelace,ada@corp.example.com,+14165550101,Chief Analyst,R&D,,,hq,5e19bd7f-0f7c-4dc4-8be9-1e77f5b99177,',
        // Fred is in OU=HQ but in Forklift Operators, nested in Warehouse Staff.
        'Fred,Forklift,fred@corp.example.com,,,,,,warehouse,aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee,',
        'Wendy,Ware,wendy@corp.example.com,+14165550199,"Forklift, Lead",,,,warehouse,12345678-90ab-cdef-1234-567890abcdef,',
        '',
      ].join('\r\n'),
    );
    // Disabled Bob, the contact and the computer account are not people adsync sends.
    expect(run.csv).not.toMatch(/Bob|Conference|PC01/);
    expect(run.result.rejectedRows).toEqual([
      {
        dn: `CN=Seán O'Neill-Ryan,OU=Warehouse,OU=Corp,${base}`,
        location: 'warehouse',
        reasons: [
          'SMS Phone "12" (from mobile) is not a phone number and there is no Email: no way to reach the contact',
        ],
      },
    ]);
  });

  it('with nested: false only direct members count', async () => {
    const run = await dryRun(
      {
        ...config,
        locations: [{ slug: 'warehouse', groups: [`CN=Warehouse Staff,OU=Groups,${base}`], nested: false }],
      },
      {},
    ).catch((e: unknown) => e);
    // Warehouse Staff has no direct members who are people: the empty-export guard stops the run.
    expect(run).toBeInstanceOf(AdsyncError);
    expect((run as AdsyncError).code).toBe('GUARD_TRIPPED');
  });
});
