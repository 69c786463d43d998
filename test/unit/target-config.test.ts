import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';

import { ConfigError } from '../../src/errors.js';
import { runAdsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';

/** A config that needs no directory to be judged: the target section decides. */
function withTarget(target: Record<string, unknown>): Record<string, unknown> {
  return {
    directory: { kind: 'ldap', url: 'ldap://127.0.0.1:9' },
    locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
    target: { profile: 'receptionist', ...target },
  };
}

async function loadError(target: Record<string, unknown>): Promise<ConfigError> {
  const dir = await tempDir();
  await writeConfig(dir, withTarget(target));
  const error: unknown = await loadConfig({ cwd: dir, env: {} }).catch((e: unknown) => e);
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe('the target section in the config stage', () => {
  it('applies the defaults: iLobby endpoints, auth, body, TLS floor, retries, timeouts, caFile path', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'vendor-ca.pem'), 'a CA');
    await writeConfig(dir, withTarget({ profile: 'ilobby', caFile: 'vendor-ca.pem' }));
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.target).toMatchObject({
      profile: 'ilobby',
      uploadUrl: 'https://partnerapi.goilobby.com/addressbook/uploadcsv',
      tokenUrl: 'https://partnerapi.goilobby.com/auth/connect/token',
      auth: 'client_secret_post',
      apiKeyHeader: 'X-API-Key',
      format: 'multipart',
      fileField: 'file',
      caFile: join(dir, 'vendor-ca.pem'),
      tlsMinVersion: 'TLSv1.2',
      retries: { attempts: 5, deadlineMs: 300_000, baseDelayMs: 1000 },
      timeoutMs: 60_000,
    });
  });

  it('refuses an endpoint that is not https:// (http:// is left to --insecure-http on loopback only)', async () => {
    const error = await loadError({ uploadUrl: 'http://vendor.example/import', apiKey: 'k' });
    expect(error.message).toContain('target.uploadUrl');
    expect(error.message).toContain('is not https://');
    const token = await loadError({
      tokenUrl: 'ftp://vendor.example/token',
      uploadUrl: 'https://v.example/i',
    });
    expect(token.message).toContain('target.tokenUrl');
    const dir = await tempDir();
    await writeConfig(dir, withTarget({ uploadUrl: 'http://127.0.0.1:9/import', apiKey: 'k' }));
    await expect(loadConfig({ cwd: dir, env: {} })).resolves.toBeDefined();
  });

  it('refuses contradictory auth and body settings', async () => {
    const both = await loadError({ apiKey: 'k', clientId: 'adsync', uploadUrl: 'https://v.example/i' });
    expect(both.message).toContain('target.clientId');
    expect(both.message).toContain('not both');
    const header = await loadError({ apiKeyHeader: 'X-Key' });
    expect(header.message).toContain('target.apiKeyHeader');
    const field = await loadError({ format: 'raw', fileField: 'csv' });
    expect(field.message).toContain('target.fileField');
  });

  it('refuses a proxy that is not an http(s) URL without repeating it (it may hold a password)', async () => {
    const error = await loadError({ proxy: 'socks5://user:hunter2-proxy@proxy.corp:1080' });
    expect(error.message).toContain('target.proxy');
    expect(error.message).not.toContain('hunter2-proxy');
  });

  it('check and push --dry-run refuse the same config, before any directory is read', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, withTarget({ uploadUrl: 'http://vendor.example/import', apiKey: 'k' }));
    for (const args of [['check'], ['push', '--dry-run'], ['push']]) {
      const run = await runAdsync(args, { cwd });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('target.uploadUrl');
      expect(run.stderr).toContain('is not https://');
    }
  });
});
