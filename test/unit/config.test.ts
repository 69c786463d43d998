import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildJsonSchema } from '../../src/config/json-schema.js';
import { loadConfig } from '../../src/config/load.js';
import { Redactor } from '../../src/config/secrets.js';
import { starterConfig } from '../../src/config/starter.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir, writeConfig } from '../harness/files.js';

const minimal = {
  directory: { kind: 'ldap', url: 'ldap://127.0.0.1:389' },
  locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
  target: { profile: 'receptionist' },
};

async function loadError(config: string | object, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const dir = await tempDir();
  await writeConfig(dir, config);
  const error: unknown = await loadConfig({ cwd: dir, env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe('config loading', () => {
  it('finds adsync.yaml and applies defaults, resolving paths against the config file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'ca.pem'), 'a CA');
    await writeConfig(dir, { ...minimal, directory: { ...minimal.directory, caFile: 'ca.pem' } });
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.filepath).toBe(join(dir, 'adsync.yaml'));
    expect(config.directory).toMatchObject({
      kind: 'ldap',
      urls: ['ldap://127.0.0.1:389'],
      userFilter: '(objectClass=inetOrgPerson)',
      pageSize: 500,
      caFile: join(dir, 'ca.pem'),
    });
    expect(config.output).toEqual({ dir: join(dir, 'adsync-output'), keep: 30, bom: false });
    expect(config.layout.headers).toEqual([
      'First Name',
      'Last Name',
      'Email',
      'SMS Phone',
      'Business Title',
      'Department',
      'Image',
      'PIN',
      'Location Slug',
      'Identification',
      'Slack',
    ]);
  });

  it('extraContacts: one file or a list, resolved against the config file, each once', async () => {
    const dir = await tempDir();
    await writeConfig(dir, { ...minimal, extraContacts: 'extra/desk.csv' }, 'one.yaml');
    await writeConfig(dir, { ...minimal, extraContacts: ['a.csv', '/srv/b.csv', './a.csv'] }, 'list.yaml');
    const one = await loadConfig({ cwd: dir, configPath: 'one.yaml', env: {} });
    expect(one.config.extraContacts).toEqual({ files: [join(dir, 'extra/desk.csv')], slugs: ['hq'] });
    const list = await loadConfig({ cwd: dir, configPath: 'list.yaml', env: {} });
    expect(list.config.extraContacts.files).toEqual([join(dir, 'a.csv'), resolve(dir, '/srv/b.csv')]);
    expect((await loadError({ ...minimal, extraContacts: [] })).message).toContain('extraContacts');
  });

  it.each(['adsync.yml', '.adsyncrc.yaml', 'adsync.config.yaml'])('finds %s', async (name) => {
    const dir = await tempDir();
    await writeConfig(dir, minimal, name);
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.filepath).toBe(join(dir, name));
  });

  it('loads an explicit --config path and reports a missing one by name', async () => {
    const dir = await tempDir();
    await writeConfig(dir, minimal, 'other.yaml');
    await expect(loadConfig({ cwd: dir, env: {}, configPath: 'other.yaml' })).resolves.toBeDefined();
    await expect(loadConfig({ cwd: dir, env: {}, configPath: 'nope.yaml' })).rejects.toMatchObject({
      code: 'CONFIG_NOT_FOUND',
      exitCode: 2,
      message: expect.stringContaining('nope.yaml') as string,
    });
  });

  it('says where it looked when there is no config', async () => {
    const dir = await tempDir();
    await expect(loadConfig({ cwd: dir, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_NOT_FOUND',
      hint: expect.stringContaining('adsync init') as string,
    });
  });

  it('reports a YAML syntax error with line and column', async () => {
    const error = await loadError('directory:\n  kind: ldap\n  url: [ldap://x\nlocations: []\n');
    expect(error.code).toBe('CONFIG_SYNTAX');
    expect(error.message).toMatch(/adsync\.yaml:\d+:\d+/);
  });

  it('reports duplicate keys as a syntax error', async () => {
    const error = await loadError('directory:\n  kind: ldap\n  kind: ad\n');
    expect(error.code).toBe('CONFIG_SYNTAX');
    expect(error.message).toContain(':3:');
  });

  it('names an unknown key, its line, and the nearest valid key', async () => {
    const error = await loadError(
      'directory:\n  kind: ldap\n  url: ldap://127.0.0.1\n  bindDn: cn=x\nlocations:\n  - slug: hq\n    ous: [ou=a]\ntarget:\n  profile: receptionist\n',
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('directory.bindDn (line 4:3): unknown key; did you mean "bindDN"?');
  });

  it('names a wrong type with the key path and what is expected', async () => {
    const error = await loadError({ ...minimal, directory: { ...minimal.directory, pageSize: 'big' } });
    expect(error.message).toMatch(/directory\.pageSize \(line \d+:\d+\): expected number, got string "big"/);
  });

  it('names a missing required key', async () => {
    const error = await loadError({ directory: minimal.directory, locations: minimal.locations });
    expect(error.message).toMatch(/- target \(line 1:1\): is required \(expected object\)/);
  });

  it('explains a bad enum value', async () => {
    const error = await loadError({ ...minimal, target: { profile: 'receptionst' } });
    expect(error.message).toMatch(/target\.profile.*expected one of "receptionist", "ilobby", "custom"/);
  });

  it('rejects unknown receptionist columns with a suggestion, and mapping the location column', async () => {
    const error = await loadError({ ...minimal, columns: { 'SMS phone': 'mobile', 'Location Slug': 'l' } });
    expect(error.message).toContain('"SMS phone" is not a receptionist column; did you mean "SMS Phone"?');
    expect(error.message).toContain('"Location Slug" is filled from the location');
  });

  it('checks cross-field rules', async () => {
    const error = await loadError({
      ...minimal,
      directory: {
        ...minimal.directory,
        url: 'ldaps://x',
        startTLS: true,
        bindDN: 'cn=a',
        filter: '(mail=*',
      },
      locations: [{ slug: 'a', groups: ['cn=g'] }, { ous: ['ou=x'] }],
      phone: { defaultCountry: 'XX' },
    });
    expect(error.message).toContain('already TLS');
    expect(error.message).toContain('bindPassword is missing');
    expect(error.message).toContain('directory.baseDN, which is not set');
    expect(error.message).toContain('cannot be mixed with slugged locations');
    expect(error.message).toContain('XX is not a country code');
    expect(error.message).toContain('directory.filter');
  });

  it('names a DN that a YAML flow list split at its commas, with the line to write instead', async () => {
    const error = await loadError(
      [
        'directory: { kind: ldap, url: "ldap://127.0.0.1:389" }',
        'locations:',
        '  - slug: hq',
        '    ous: [ou=hq,ou=people,dc=example,dc=com]',
        'target: { profile: receptionist }',
      ].join('\n'),
    );
    expect(error.message).toContain(
      'locations[0].ous (line 4:10): looks like one DN split at its commas (ou=hq, ou=people, dc=example, dc=com)',
    );
    expect(error.message).toContain('ous: ["ou=hq,ou=people,dc=example,dc=com"]');
    // Two real DNs in a flow list are fine.
    const dir = await tempDir();
    await writeConfig(dir, { ...minimal, locations: [{ slug: 'hq', ous: ['ou=a,dc=x', 'ou=b,dc=x'] }] });
    await expect(loadConfig({ cwd: dir, env: {} })).resolves.toBeDefined();
  });

  it('resolves ${env:} and ${file:} references and collects them as secrets', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'pw.txt'), 'file-secret\n');
    await writeConfig(dir, {
      ...minimal,
      directory: { ...minimal.directory, bindDN: 'cn=${env:WHO}', bindPassword: '${file:pw.txt}' },
      target: { profile: 'receptionist', clientSecret: '${env:SECRET}' },
    });
    const { config, secrets } = await loadConfig({ cwd: dir, env: { WHO: 'svc', SECRET: 'env-secret' } });
    expect(config.directory).toMatchObject({ bindDN: 'cn=svc', bindPassword: 'file-secret' });
    expect(secrets.sort()).toEqual(['env-secret', 'file-secret']);
  });

  it('names a missing variable or unreadable file without printing any value', async () => {
    const env = await loadError({
      ...minimal,
      directory: { ...minimal.directory, bindDN: 'cn=a', bindPassword: '${env:NOPE_PW}' },
    });
    expect(env.code).toBe('CONFIG_SECRET');
    expect(env.message).toContain('directory.bindPassword: environment variable NOPE_PW is not set');
    const file = await loadError({
      ...minimal,
      directory: { ...minimal.directory, bindDN: 'cn=a', bindPassword: '${file:missing.txt}' },
    });
    expect(file.message).toContain('cannot read secret file');
    expect(file.message).toContain('missing.txt');
  });

  it('names every unresolved reference at once, an empty variable as empty', async () => {
    const error = await loadError(
      {
        ...minimal,
        directory: { ...minimal.directory, bindDN: 'cn=${env:WHO}', bindPassword: '${env:PW}' },
        target: { profile: 'receptionist', clientSecret: '${env:SECRET}' },
      },
      { PW: '' },
    );
    expect(error.code).toBe('CONFIG_SECRET');
    expect(error.message).toContain('2 secret references cannot be resolved');
    expect(error.message).toContain('directory.bindDN: environment variable WHO is not set');
    expect(error.message).toContain('directory.bindPassword: environment variable PW is empty');
    expect(error.message).toContain(
      'target.clientSecret: environment variable SECRET is not set (needed only to upload)',
    );
    expect(error.hint).toContain('Set WHO, PW, SECRET (not empty)');
  });

  it("keeps the target's unresolved references as missing; the present ones are resolved and redacted", async () => {
    const dir = await tempDir();
    await writeConfig(dir, {
      ...minimal,
      target: {
        profile: 'ilobby',
        clientId: '${env:ID}',
        clientSecret: '${env:SECRET}',
      },
    });
    const none = await loadConfig({ cwd: dir, env: {} });
    expect(none.config.target.clientId).toBeUndefined();
    expect(none.config.target.tokenUrl).toBe('https://partnerapi.goilobby.com/auth/connect/token');
    expect(none.config.target.missing.map((m) => `${m.key} ${m.name} ${m.problem}`)).toEqual([
      'target.clientId ID not set',
      'target.clientSecret SECRET not set',
    ]);
    const half = await loadConfig({ cwd: dir, env: { ID: 'adsync', SECRET: '' } });
    expect(half.config.target.clientId).toBe('adsync');
    expect(half.config.target.missing).toEqual([
      { key: 'target.clientSecret', kind: 'env', name: 'SECRET', problem: 'empty' },
    ]);
    const all = await loadConfig({ cwd: dir, env: { ID: 'adsync', SECRET: 'the-client-secret' } });
    expect(all.config.target.missing).toEqual([]);
    expect(all.secrets).toContain('the-client-secret');
  });

  it('an unresolved API key still counts as written for the target rules', async () => {
    const dir = await tempDir();
    await writeConfig(dir, {
      ...minimal,
      target: {
        profile: 'receptionist',
        uploadUrl: 'https://v.example/i',
        apiKey: '${env:KEY}',
        apiKeyHeader: 'X-Key',
      },
    });
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.target.apiKey).toBeUndefined();
    expect(config.target.apiKeyHeader).toBe('X-Key');
    expect(config.target.missing.map((m) => m.name)).toEqual(['KEY']);
  });

  it('never shows a secret value in a validation error', async () => {
    const error = await loadError(
      {
        ...minimal,
        directory: { ...minimal.directory, bindDN: 'cn=a', bindPassword: '${env:PW}', pageSize: 'x' },
        target: { profile: 'receptionist', clientSecret: 42 },
      },
      { PW: 'hunter2-secret' },
    );
    expect(error.message).not.toContain('hunter2-secret');
    expect(error.message).toContain('target.clientSecret');
    expect(error.message).not.toContain('42');
  });

  it('never shows an API key or a ${file:} value that failed validation', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'url.txt'), 'not a url with key s3cr3t-in-url');
    await writeConfig(dir, {
      ...minimal,
      target: { profile: 'receptionist', apiKey: 98765432109876, uploadUrl: '${file:url.txt}' },
    });
    const error: unknown = await loadConfig({ cwd: dir, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('target.apiKey');
    expect(message).not.toContain('98765432109876');
    expect(message).not.toContain('s3cr3t-in-url');
  });

  it('reads secret files written with a byte order mark or as UTF-16 (Windows PowerShell)', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'bom.txt'),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('pw-bom\r\n')]),
    );
    await writeFile(
      join(dir, 'utf16.txt'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('pw-utf16\r\n', 'utf16le')]),
    );
    for (const [file, expected] of [
      ['bom.txt', 'pw-bom'],
      ['utf16.txt', 'pw-utf16'],
    ] as const) {
      await writeConfig(dir, {
        ...minimal,
        directory: { ...minimal.directory, bindDN: 'cn=a', bindPassword: `\${file:${file}}` },
      });
      const { config } = await loadConfig({ cwd: dir, env: {} });
      expect(config.directory).toMatchObject({ bindPassword: expected });
    }
  });

  it('a custom profile with several locations needs a location column', async () => {
    const error = await loadError({
      ...minimal,
      locations: [
        { slug: 'a', ous: ['ou=a'] },
        { slug: 'b', ous: ['ou=b'] },
      ],
      target: { profile: 'custom' },
      columns: { Name: 'cn' },
    });
    expect(error.message).toContain('target.locationColumn');
  });

  it('a config file that is not YAML by name gets a clear message', async () => {
    const dir = await tempDir();
    await writeConfig(dir, minimal, 'adsync.conf');
    await expect(loadConfig({ cwd: dir, env: {}, configPath: 'adsync.conf' })).rejects.toMatchObject({
      message: 'adsync.conf is not a YAML file adsync can read',
    });
  });

  it('an empty file is a clear error', async () => {
    const error = await loadError('# nothing\n');
    expect(error.message).toContain('is empty');
  });
});

describe('redactor', () => {
  it('hides every secret, longest first', () => {
    const r = new Redactor();
    r.add('abc123', 'abc123xyz');
    expect(r.redact('token abc123xyz and abc123')).toBe('token *** and ***');
  });
});

describe('JSON Schema and examples', () => {
  it('schema/adsync.schema.json is current (run `npm run schema` to update)', async () => {
    const file = await readFile(new URL('../../schema/adsync.schema.json', import.meta.url), 'utf8');
    expect(JSON.parse(file)).toEqual(buildJsonSchema());
  });

  it('config.example.yaml passes validation and points editors at the schema', async () => {
    const path = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));
    const text = await readFile(path, 'utf8');
    expect(text).toContain('$schema=./schema/adsync.schema.json');
    const { config } = await loadConfig({
      cwd: '/',
      configPath: path,
      env: {
        ADSYNC_BIND_PASSWORD: 'x',
        ADSYNC_CLIENT_ID: 'id',
        ADSYNC_CLIENT_SECRET: 'secret',
        ADSYNC_WEBHOOK_URL: 'https://hooks.example.com/services/T0/B0/x',
      },
    });
    expect(config.locations.length).toBeGreaterThan(0);
    expect(config.schedule).toMatchObject({
      cron: '0 6 * * *',
      timezone: 'America/Toronto',
      randomDelayMs: 600_000,
    });
    expect(config.runTimeoutMs).toBe(30 * 60_000);
    expect(config.logging?.file).toBe(join(dirname(path), 'logs', 'adsync.log'));
    expect(config.notify).toMatchObject({ on: ['failure', 'guard'] });
  });

  it('schedule, logging and notify: defaults, paths beside the config, and clear errors', async () => {
    const dir = await tempDir();
    const base = {
      directory: { kind: 'ldap', url: 'ldap://127.0.0.1' },
      locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
      target: { profile: 'receptionist' },
    };
    await writeConfig(dir, { ...base, schedule: { cron: '30 5 * * 1-5' }, logging: { file: 'adsync.log' } });
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.schedule).toEqual({
      cron: '30 5 * * 1-5',
      timezone: undefined,
      randomDelayMs: 0,
      statusFile: join(dir, 'adsync-state', 'schedule-status.json'),
    });
    expect(config.logging).toEqual({
      file: join(dir, 'adsync.log'),
      level: 'info',
      maxBytes: 10 * 1024 * 1024,
      keep: 5,
    });
    expect(config.notify).toBeUndefined();

    await writeConfig(dir, {
      ...base,
      schedule: { cron: '61 * * * *', timezone: 'Europe/Atlantis' },
      notify: { webhook: 'http://hooks.example.com/x' },
    });
    const error = await loadConfig({ cwd: dir, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/schedule\.cron \(line \d+:\d+\): "61 \* \* \* \*" is not a cron expression/);
    expect(message).toContain('"Europe/Atlantis" is not an IANA time zone');
    expect(message).toContain('notify.webhook');
    expect(message).toContain('https://');
  });

  it.each([
    ['ad', 'receptionist'],
    ['ad', 'ilobby'],
    ['ldap', 'receptionist'],
    ['ldap', 'ilobby'],
    ['ldap', 'custom'],
    ['ad', 'custom'],
  ] as const)('the %s/%s starter config passes validation', async (kind, profile) => {
    const dir = await tempDir();
    await writeConfig(dir, starterConfig({ kind, profile }));
    const { config } = await loadConfig({
      cwd: dir,
      env: { ADSYNC_BIND_PASSWORD: 'x', ADSYNC_CLIENT_ID: 'id', ADSYNC_CLIENT_SECRET: 'secret' },
    });
    expect(config.layout.profile).toBe(profile);
    expect(config.directory.kind).toBe(kind);
  });
});
