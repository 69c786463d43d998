import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { makeCa, makeClientCert } from '../harness/tls.js';
import { systemTool } from '../harness/tools.js';

// Certificates are made with OpenSSL (the Windows suite has none: these tests skip there).
const hasOpenssl = systemTool('openssl', ['version'], 'Debian: apt-get install openssl');

const run = promisify(execFile);

/** A config whose directory section is the given keys over an ldaps:// server. */
const withDirectory = (directory: Record<string, unknown>): object => ({
  directory: { kind: 'ldap', url: 'ldaps://127.0.0.1:636', ...directory },
  locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
  target: { profile: 'receptionist' },
});

/** The config error loading `config` in `dir` gives (fails the test when it loads). */
async function configError(dir: string, config: object, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  await writeConfig(dir, config);
  const error: unknown = await loadConfig({ cwd: dir, env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  expect(error.exitCode).toBe(ExitCode.Config);
  return error;
}

/** A client certificate and key in `dir` (client.pem, client.key). */
async function clientCert(dir: string): Promise<void> {
  const ca = await makeCa(dir, 'ca');
  await makeClientCert(dir, ca, 'client', '/O=example/CN=adsync');
}

describe.runIf(hasOpenssl)('directory.auth', () => {
  it('defaults to simple, and resolves certFile, keyFile and the keytab against the config file', async () => {
    const dir = await tempDir();
    await clientCert(dir);
    await writeConfig(
      dir,
      withDirectory({ auth: 'external', certFile: 'client.pem', keyFile: 'client.key' }),
    );
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.directory).toMatchObject({
      auth: 'external',
      certFile: join(dir, 'client.pem'),
      keyFile: join(dir, 'client.key'),
    });
    expect(config.directory.files.map((f) => f.path)).toEqual([
      join(dir, 'client.pem'),
      join(dir, 'client.key'),
    ]);
    await writeConfig(
      dir,
      withDirectory({ auth: 'gssapi', kerberos: { keytab: 'adsync.keytab', spn: 'ldap/dc1@CORP' } }),
    );
    const gss = (await loadConfig({ cwd: dir, env: {} })).config.directory;
    expect(gss).toMatchObject({
      auth: 'gssapi',
      kerberos: { keytab: join(dir, 'adsync.keytab'), spn: 'ldap/dc1@CORP' },
    });
    expect(gss.files.map((f) => f.path)).toEqual([join(dir, 'adsync.keytab')]);
    await writeConfig(dir, withDirectory({}));
    expect((await loadConfig({ cwd: dir, env: {} })).config.directory).toMatchObject({ auth: 'simple' });
  });

  it('refuses a password with gssapi or external, naming the key to remove', async () => {
    const dir = await tempDir();
    await clientCert(dir);
    const error = await configError(
      dir,
      withDirectory({
        auth: 'external',
        certFile: 'client.pem',
        keyFile: 'client.key',
        bindDN: 'cn=adsync,dc=example,dc=com',
        bindPassword: '${env:PW}',
      }),
      { PW: 'a-long-bind-password' },
    );
    expect(error.message).toContain('directory.bindDN');
    expect(error.message).toContain(
      'auth: external binds with the client certificate, not a password: remove bindDN',
    );
    expect(error.message).toContain('remove bindPassword');
    expect(error.message).not.toContain('a-long-bind-password');
    const gss = await configError(dir, withDirectory({ auth: 'gssapi', bindDN: 'cn=x' }));
    expect(gss.message).toContain('auth: gssapi binds with Kerberos, not a password: remove bindDN');
  });

  it("keeps each mode's keys to it, and external needs both files", async () => {
    const dir = await tempDir();
    await clientCert(dir);
    const simple = await configError(
      dir,
      withDirectory({ kerberos: { principal: 'svc@CORP' }, certFile: 'client.pem', keyFile: 'client.key' }),
    );
    expect(simple.message).toContain('directory.kerberos');
    expect(simple.message).toContain('is for auth: gssapi (auth is simple): remove it');
    expect(simple.message).toMatch(/directory\.certFile.*is for auth: external \(auth is simple\)/);
    expect(simple.message).toMatch(/directory\.keyFile.*is for auth: external/);
    const gss = await configError(dir, withDirectory({ auth: 'gssapi', certFile: 'client.pem' }));
    expect(gss.message).toContain('is for auth: external (auth is gssapi)');
    const external = await configError(dir, withDirectory({ auth: 'external' }));
    expect(external.message).toContain('directory.certFile');
    expect(external.message).toContain('is required with auth: external (the PEM client certificate)');
    expect(external.message).toContain('directory.keyFile');
  });

  it('refuses gssapi or external over ldap:// without StartTLS: no security layer without TLS', async () => {
    const dir = await tempDir();
    for (const auth of ['gssapi', 'external']) {
      const files = auth === 'external' ? { certFile: 'c.pem', keyFile: 'c.key' } : {};
      const error = await configError(dir, withDirectory({ auth, url: 'ldap://127.0.0.1:389', ...files }));
      expect(error.message).toContain(
        `directory.url (line 3:8): auth: ${auth} over ldap://127.0.0.1:389: no security layer without TLS: use ldaps:// or startTLS: true`,
      );
    }
    await writeConfig(dir, withDirectory({ auth: 'gssapi', url: 'ldap://127.0.0.1:389', startTLS: true }));
    expect((await loadConfig({ cwd: dir, env: {} })).config.directory).toMatchObject({ startTLS: true });
  });

  it('checks the shape of kerberos.spn', async () => {
    const dir = await tempDir();
    for (const spn of ['dc1.corp.example.com', 'ldap/dc1 corp', 'ldap//dc1', 'ldap/dc1@']) {
      const error = await configError(dir, withDirectory({ auth: 'gssapi', kerberos: { spn } }));
      expect(error.message).toContain('directory.kerberos.spn');
      expect(error.message).toContain('write service/host or service/host@REALM');
    }
    for (const spn of ['ldap/dc1.corp.example.com', 'ldap/dc1.corp.example.com@CORP.EXAMPLE.COM']) {
      await writeConfig(dir, withDirectory({ auth: 'gssapi', kerberos: { spn } }));
      expect((await loadConfig({ cwd: dir, env: {} })).config.directory).toMatchObject({ kerberos: { spn } });
    }
  });

  it('refuses an unreadable, encrypted or mismatched key without showing it', async () => {
    const dir = await tempDir();
    await clientCert(dir);
    const missing = await configError(
      dir,
      withDirectory({ auth: 'external', certFile: 'client.pem', keyFile: 'nope.key' }),
    );
    expect(missing.message).toContain(`directory.keyFile (line 6:12): cannot read ${join(dir, 'nope.key')}`);
    await run('openssl', [
      'pkey',
      '-in',
      join(dir, 'client.key'),
      '-aes256',
      '-passout',
      'pass:pw-1234',
      '-out',
      join(dir, 'enc.key'),
    ]);
    const encrypted = await configError(
      dir,
      withDirectory({ auth: 'external', certFile: 'client.pem', keyFile: 'enc.key' }),
    );
    expect(encrypted.message).toContain(
      `${join(dir, 'enc.key')} is an encrypted private key, which adsync does not support`,
    );
    const other = await tempDir();
    await clientCert(other);
    const mismatched = await configError(
      dir,
      withDirectory({ auth: 'external', certFile: 'client.pem', keyFile: join(other, 'client.key') }),
    );
    expect(mismatched.message).toContain('is not the private key of the certificate in');
    const notCert = await configError(
      dir,
      withDirectory({ auth: 'external', certFile: 'client.key', keyFile: 'client.key' }),
    );
    expect(notCert.message).toContain(
      `directory.certFile (line 5:13): ${join(dir, 'client.key')} holds no PEM certificate`,
    );
    const keyText = await readFile(join(dir, 'client.key'), 'utf8');
    const body = keyText.split('\n')[1] ?? 'unreachable';
    for (const error of [missing, encrypted, mismatched, notCert]) expect(error.message).not.toContain(body);
  });
});
