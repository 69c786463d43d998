// ${credential:NAME}: a secret systemd keeps (LoadCredentialEncrypted=) and hands to the service
// in $CREDENTIALS_DIRECTORY, read like a ${file:} secret and deferred in the same places.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { Redactor, referenceNames } from '../../src/config/secrets.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir, writeConfig } from '../harness/files.js';

const minimal = {
  directory: { kind: 'ldap', url: 'ldap://127.0.0.1:389' },
  locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
  target: { profile: 'receptionist' },
};

/** A config folder and a credentials folder holding `files`. */
async function setUp(
  config: object,
  files: Record<string, string> = {},
): Promise<{ dir: string; credentials: string }> {
  const dir = await tempDir();
  await writeConfig(dir, config);
  const credentials = join(dir, 'credentials');
  await mkdir(credentials);
  for (const [name, value] of Object.entries(files)) await writeFile(join(credentials, name), value);
  return { dir, credentials };
}

async function loadError(dir: string, env: NodeJS.ProcessEnv): Promise<ConfigError> {
  const error: unknown = await loadConfig({ cwd: dir, env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

const withPassword = (reference: string): object => ({
  ...minimal,
  directory: { ...minimal.directory, bindDN: 'cn=svc', bindPassword: reference },
});

describe('${credential:NAME}', () => {
  it('reads $CREDENTIALS_DIRECTORY/NAME as ${file:} reads a file: one trailing newline dropped, a secret', async () => {
    const { dir, credentials } = await setUp(
      {
        ...withPassword('${credential:bind-pw}'),
        target: { profile: 'receptionist', apiKey: '${credential:key}' },
      },
      { 'bind-pw': 'credential-secret-1\n', key: '\uFEFFvendor-key-2\r\n' },
    );
    const { config, secrets } = await loadConfig({ cwd: dir, env: { CREDENTIALS_DIRECTORY: credentials } });
    expect(config.directory).toMatchObject({ bindPassword: 'credential-secret-1' });
    expect(config.target.apiKey).toBe('vendor-key-2');
    expect(secrets.sort()).toEqual(['credential-secret-1', 'vendor-key-2']);
    // A credential file is the config's like a ${file:} one: no output option may overwrite it.
    expect(config.secretFiles).toContain(join(credentials, 'bind-pw'));
  });

  it('a value read from a credential is a secret whatever key holds it, and is redacted', async () => {
    const { dir, credentials } = await setUp(
      { ...minimal, locations: [{ slug: 'hq', ous: ['${credential:ou}'] }] },
      { ou: 'ou=hidden-unit,dc=example,dc=com' },
    );
    const { config, secrets } = await loadConfig({
      cwd: dir,
      env: { CREDENTIALS_DIRECTORY: credentials },
    });
    expect(config.locations[0]).toMatchObject({ ous: ['ou=hidden-unit,dc=example,dc=com'] });
    expect(secrets).toEqual(['ou=hidden-unit,dc=example,dc=com']);
    const redactor = new Redactor();
    redactor.add(...secrets);
    expect(redactor.redact('no such object: ou=hidden-unit,dc=example,dc=com')).toBe('no such object: ***');
  });

  it('the same size limit and one-line rule as ${file:}, naming the key, never the value', async () => {
    const { dir, credentials } = await setUp(withPassword('${credential:big}'), {
      big: 'x'.repeat(64 * 1024 + 1),
    });
    const big = await loadError(dir, { CREDENTIALS_DIRECTORY: credentials });
    expect(big.message).toContain('directory.bindPassword: cannot read credential big in');
    expect(big.message).toContain('at most 65536 are read');
    await writeFile(join(credentials, 'big'), 'two-line-secret\nsecond\n');
    const lines = await loadError(dir, { CREDENTIALS_DIRECTORY: credentials });
    expect(lines.message).toContain(
      'directory.bindPassword: the value from ${credential:big} contains a control character',
    );
    expect(lines.message).not.toContain('two-line-secret');
  });

  it('without CREDENTIALS_DIRECTORY: exit 2, saying it needs a service manager and what a manual run does', async () => {
    const { dir } = await setUp(withPassword('${credential:bind-pw}'));
    for (const env of [{}, { CREDENTIALS_DIRECTORY: '' }]) {
      const error = await loadError(dir, env);
      expect(error.code).toBe('CONFIG_SECRET');
      expect(error.exitCode).toBe(2);
      expect(error.message).toContain(
        'directory.bindPassword: ${credential:bind-pw} needs CREDENTIALS_DIRECTORY, which is not set',
      );
      expect(error.hint).toContain('systemd 250+, with LoadCredential= or LoadCredentialEncrypted=');
      expect(error.hint).toContain('CREDENTIALS_DIRECTORY=/path adsync');
      expect(error.hint).toContain('${file:PATH}');
    }
  });

  it('a missing credential names the credential and the folder', async () => {
    const { dir, credentials } = await setUp(withPassword('${credential:bind-pw}'));
    const error = await loadError(dir, { CREDENTIALS_DIRECTORY: credentials });
    expect(error.code).toBe('CONFIG_SECRET');
    expect(error.message).toContain(
      `directory.bindPassword: cannot read credential bind-pw in ${credentials} (`,
    );
    expect(error.message).toContain('ENOENT');
    expect(error.hint).toContain('LoadCredentialEncrypted=NAME:PATH');
  });

  it('refuses a name that is not a plain file name, naming the key, even where references are deferred', async () => {
    for (const name of ['../bind-pw', 'sub/pw', 'sub\\pw', '..', 'a..b', '', 'a:b']) {
      const { dir, credentials } = await setUp(
        { ...minimal, target: { profile: 'receptionist', clientSecret: `\${credential:${name}}` } },
        { 'bind-pw': 'outside-secret' },
      );
      for (const localOnly of [false, true]) {
        const error: unknown = await loadConfig({
          cwd: dir,
          env: { CREDENTIALS_DIRECTORY: join(credentials, 'inner') },
          localOnly,
        }).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (!(error instanceof ConfigError)) throw new Error(`${name}: expected a ConfigError`);
        expect(error.code, name).toBe('CONFIG_SECRET');
        expect(error.message, name).toContain(`target.clientSecret: \${credential:${name}} is refused: `);
        expect(error.message).not.toContain('outside-secret');
      }
    }
  });

  it("the target's and the webhook's credentials are deferred like their ${env:} and ${file:}", async () => {
    const { dir, credentials } = await setUp({
      ...minimal,
      target: { profile: 'receptionist', clientId: 'adsync', clientSecret: '${credential:vendor}' },
      notify: { webhook: '${credential:hook}' },
    });
    for (const env of [{}, { CREDENTIALS_DIRECTORY: credentials }]) {
      const { config, warnings } = await loadConfig({ cwd: dir, env });
      expect(config.target.clientSecret).toBeUndefined();
      expect(config.target.missing).toMatchObject([
        { key: 'target.clientSecret', kind: 'credential', name: 'vendor' },
      ]);
      expect(config.notify).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^notify\.webhook: .*credential.*hook.*: this run sends no notification$/);
    }
  });

  it('a local-only load (history, diff, schedule install) needs no credentials at all', async () => {
    const { dir } = await setUp({
      ...withPassword('${credential:bind-pw}'),
      schedule: { cron: '0 6 * * *' },
    });
    const { config } = await loadConfig({ cwd: dir, env: {}, localOnly: true });
    expect(config.schedule?.cron).toBe('0 6 * * *');
  });

  it('is text when escaped, and its names are listed once for the unit', () => {
    const raw = {
      directory: { bindPassword: '${credential:bind-pw}', url: '$${credential:not-one}' },
      target: { clientSecret: '${credential:vendor}', apiKey: '${credential:bind-pw}' },
      notify: { webhook: '${env:HOOK}' },
    };
    expect(referenceNames(raw, 'credential')).toEqual(['bind-pw', 'vendor']);
    expect(referenceNames(raw, 'env')).toEqual(['HOOK']);
  });
});
