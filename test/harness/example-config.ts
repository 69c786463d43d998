import { inject } from 'vitest';

/** Shape of a test config (plain data, written as YAML). */
export type TestConfig = Record<string, unknown> & {
  directory: Record<string, unknown>;
  locations: Record<string, unknown>[];
  target: Record<string, unknown>;
};

/**
 * A receptionist config for the harness's dc=example,dc=com: HQ by OU, warehouse by OU plus
 * members of the warehouse-staff group (a union under one slug).
 * @param overrides keys to replace at the top level
 */
export function exampleConfig(overrides: Partial<TestConfig> = {}): TestConfig {
  return {
    directory: {
      kind: 'ldap',
      url: inject('ldapUrl'),
      bindDN: 'cn=adsync,ou=services,dc=example,dc=com',
      bindPassword: '${env:TEST_BIND_PASSWORD}',
      baseDN: 'dc=example,dc=com',
      pageSize: 4,
    },
    locations: [
      { slug: 'hq', ous: ['ou=hq,ou=people,dc=example,dc=com'] },
      { slug: 'warehouse', ous: ['ou=warehouse,ou=people,dc=example,dc=com'] },
      { slug: 'warehouse', groups: ['cn=warehouse-staff,ou=groups,dc=example,dc=com'] },
    ],
    target: { profile: 'receptionist' },
    columns: { Identification: 'employeeNumber' },
    phone: { defaultCountry: 'CA' },
    output: { dir: './out' },
    ...overrides,
  };
}

/** The service account's password, passed through the environment as a real run would. */
export const BIND_ENV = { TEST_BIND_PASSWORD: 'svc-password-123' };

/** The receptionist CSV the example directory must produce with {@link exampleConfig}. */
export const EXPECTED_RECEPTIONIST_CSV = [
  'First Name,Last Name,Email,SMS Phone,Business Title,Department,Image,PIN,Location Slug,Identification,Slack',
  'Zoë,Ångström,zoe@example.com,,"Head of ""Quality"", Europe",Quality,,,hq,1002,',
  'Bea,Badphone,bea@example.com,,,,,,hq,1006,',
  // Eve's title is a spreadsheet formula: left empty, with a warning.
  'Eve,Formula,eve@example.com,,,,,,hq,1005,',
  'Ada,Lovelace,ada@example.com,+14165550101,Chief Analyst,R&D,,,hq,1001,',
  'Sam 🚀,Rocket,sam@example.com,,,,,,hq,1004,',
  'Omar,Smsonly,,+442079460958,,,,,hq,1013,',
  '小龍,李,li@example.com,,,,,,hq,1003,',
  'Ada,Lovelace,ada@example.com,+14165550101,Chief Analyst,R&D,,,warehouse,1001,',
  'Walt,Ware,walt@example.com,,,,,,warehouse,2002,',
  'Wendy,Ware,wendy@example.com,+14165550199,"Forklift, Lead",,,,warehouse,2001,',
  '',
].join('\r\n');

/**
 * A push config for a slapd of the test company and a mock vendor: HQ and warehouse by OU, the
 * client secret from ADSYNC_CLIENT_SECRET, the bind password from TEST_BIND_PASSWORD.
 * @param servers the directory URL, the mock vendor URL and its CA file
 * @param servers.ldapUrl ldap:// URL of the slapd
 * @param servers.mockUrl base URL of the mock vendor
 * @param servers.caFile the mock vendor's certificate
 * @param target keys added to (or replacing) the target section
 * @param directory keys added to (or replacing) the directory section
 */
export function pushConfig(
  servers: { ldapUrl: string; mockUrl: string; caFile: string },
  target: Record<string, unknown> = {},
  directory: Record<string, unknown> = {},
): TestConfig {
  return {
    directory: {
      kind: 'ldap',
      url: servers.ldapUrl,
      bindDN: 'cn=adsync,ou=services,dc=example,dc=com',
      bindPassword: '${env:TEST_BIND_PASSWORD}',
      ...directory,
    },
    locations: [
      { slug: 'hq', ous: ['ou=hq,ou=people,dc=example,dc=com'] },
      { slug: 'warehouse', ous: ['ou=warehouse,ou=people,dc=example,dc=com'] },
    ],
    target: { ...mockTarget(servers.mockUrl, servers.caFile), ...target },
  };
}

/**
 * The target section for the mock vendor: receptionist profile, client `adsync`, the secret from
 * ADSYNC_CLIENT_SECRET, the mock's certificate trusted through caFile.
 * @param mockUrl base URL of the mock vendor
 * @param caFile the mock vendor's certificate
 */
export function mockTarget(mockUrl: string, caFile: string): Record<string, unknown> {
  return {
    profile: 'receptionist',
    tokenUrl: `${mockUrl}/oauth/token`,
    uploadUrl: `${mockUrl}/contacts/import`,
    clientId: 'adsync',
    clientSecret: '${env:ADSYNC_CLIENT_SECRET}',
    caFile,
  };
}
