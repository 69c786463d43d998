import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { useExampleServers } from '../harness/servers.js';

const skip = inject('slapdSkip');
const SECRET = 'vendor-check-secret-0123456789';
const BIND = { TEST_BIND_PASSWORD: 'svc-password-123' };
const ALL = { ...BIND, ADSYNC_CLIENT_ID: 'adsync', ADSYNC_CLIENT_SECRET: SECRET };

describe.skipIf(skip !== '')(
  `inspecting without the vendor's secrets; check's vendor part (CLI, slapd, mock vendor over TLS)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useExampleServers(SECRET);

    /** A fresh working directory with a config whose client id and secret come from the environment. */
    const project = async (target: Record<string, unknown> = {}): Promise<string> => {
      const cwd = await tempDir();
      await writeConfig(cwd, {
        ...pushConfig(
          { ldapUrl: servers.slapd.url, mockUrl: servers.mock.url, caFile: servers.caFile },
          { clientId: '${env:ADSYNC_CLIENT_ID}', retries: { attempts: 1 }, ...target },
        ),
        output: { dir: './out' },
      });
      return cwd;
    };
    const sh = (args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliRun> =>
      runAdsync(args, { cwd, env });

    it('check and push --dry-run work with ADSYNC_CLIENT_ID and ADSYNC_CLIENT_SECRET unset; check says what it skipped', async () => {
      const cwd = await project();
      const checked = await sh(['check', '--json'], cwd, BIND);
      expect(checked.code).toBe(0);
      expect(checked.stderr).toContain("vendor: not checked: the target's secrets are not available");
      expect(checked.stderr).toMatch(/hint: set ADSYNC_CLIENT_ID, ADSYNC_CLIENT_SECRET to check/);
      expect(JSON.parse(checked.stdout)).toMatchObject({
        status: 'ok',
        vendor: { status: 'skipped', needs: ['ADSYNC_CLIENT_ID', 'ADSYNC_CLIENT_SECRET'] },
      });
      const dry = await sh(['push', '--dry-run', '--json'], cwd, BIND);
      expect(dry.code).toBe(0);
      const report = JSON.parse(dry.stdout) as { rows: number; warnings: { message: string }[] };
      expect(report.rows).toBeGreaterThan(0);
      // Without the client id the vendor account, so its last push, is unknown: said, not hidden.
      expect(report.warnings.map((w) => w.message)).toContainEqual(
        expect.stringContaining('target.clientId: environment variable ADSYNC_CLIENT_ID is not set'),
      );
      expect(servers.mock.uploads()).toHaveLength(0);
    });

    it('a real push refuses before reading the directory, exit 2, naming every missing variable at once', async () => {
      const cwd = await project();
      const run = await sh(['push', '--json'], cwd, BIND);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('2 secret references cannot be resolved to upload');
      expect(run.stderr).toContain('target.clientId: environment variable ADSYNC_CLIENT_ID is not set');
      expect(run.stderr).toContain(
        'target.clientSecret: environment variable ADSYNC_CLIENT_SECRET is not set',
      );
      expect(JSON.parse(run.stdout)).toMatchObject({ exitCode: 2, error: { code: 'CONFIG_SECRET' } });
      // Nothing was read or written: no output directory, no upload.
      expect(await readdir(cwd)).not.toContain('out');
      expect(servers.mock.uploads()).toHaveLength(0);
    });

    it('an empty variable is reported as empty; a missing bind password fails check, listing the vendor ones too', async () => {
      const cwd = await project();
      const empty = await sh(['push'], cwd, {
        ...BIND,
        ADSYNC_CLIENT_ID: 'adsync',
        ADSYNC_CLIENT_SECRET: '',
      });
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain('environment variable ADSYNC_CLIENT_SECRET is empty');
      expect(empty.stderr).not.toContain('ADSYNC_CLIENT_SECRET is not set');

      const noBind = await sh(['check'], cwd, { TEST_BIND_PASSWORD: '' });
      expect(noBind.code).toBe(2);
      expect(noBind.stderr).toContain(
        'directory.bindPassword: environment variable TEST_BIND_PASSWORD is empty',
      );
      expect(noBind.stderr).toContain('ADSYNC_CLIENT_SECRET is not set (needed only to upload)');
      expect(noBind.stderr).toContain('ADSYNC_CLIENT_ID is not set (needed only to upload)');
    });

    it('check with the secrets checks the vendor: https endpoints, the TLS version, a token issued; nothing uploaded or leaked', async () => {
      const cwd = await project();
      const run = await sh(['check', '--json'], cwd, ALL);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`vendor: target.uploadUrl ${servers.mock.url}/contacts/import`);
      expect(run.stderr).toMatch(
        new RegExp(
          `vendor: ${servers.mock.url.replace(/[.]/g, '\\.')}/oauth/token: TLSv1\\.[23], certificate trusted`,
        ),
      );
      expect(run.stderr).toContain(`issued a token for client adsync`);
      const report = JSON.parse(run.stdout) as { vendor: Record<string, unknown> };
      expect(report.vendor).toMatchObject({
        status: 'ok',
        auth: 'oauth2',
        tls: {
          url: `${servers.mock.url}/oauth/token`,
          version: expect.stringMatching(/^TLSv1\.[23]$/) as unknown,
        },
        token: { clientId: 'adsync' },
      });
      expect(servers.mock.uploads()).toHaveLength(0);
      expect(run.stdout + run.stderr).not.toContain(SECRET);
      expect(run.stdout + run.stderr).not.toMatch(/access_token|Bearer /);
    });

    it('check with a wrong client secret fails clearly (exit 1), the directory part still shown', async () => {
      const cwd = await project();
      const run = await sh(['check'], cwd, { ...ALL, ADSYNC_CLIENT_SECRET: 'not-the-secret' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `vendor: the token endpoint ${servers.mock.url}/oauth/token refused client adsync`,
      );
      expect(run.stderr).toMatch(/hint: Check target\.clientId and target\.clientSecret/);
      expect(run.stderr).toMatch(/reachable, .*bound as cn=adsync/);
      expect(run.stderr).not.toContain('not-the-secret');
    });

    it('an untrusted vendor certificate points to target.caFile, in check and in push', async () => {
      const cwd = await project({ caFile: undefined });
      const checked = await sh(['check'], cwd, ALL);
      expect(checked.code).toBe(1);
      expect(checked.stderr).toContain(`vendor: TLS with ${new URL(servers.mock.url).host} failed`);
      expect(checked.stderr).toMatch(
        /hint: The certificate of \S+ is not trusted by this machine .*set target\.caFile/,
      );
      expect(checked.stderr).not.toContain('NODE_EXTRA_CA_CERTS');
      const pushed = await sh(['push', '--first-push'], cwd, ALL);
      expect(pushed.code).toBe(1);
      expect(pushed.stderr).toMatch(/TLS with \S+ failed/);
      expect(pushed.stderr).toMatch(/hint: The certificate of \S+ is not trusted .*set target\.caFile/);
      expect(servers.mock.uploads()).toHaveLength(0);
    });

    it('a missing target.caFile is a configuration error (exit 2) for every command that loads the config', async () => {
      const cwd = await project({ caFile: './no-such-ca.pem' });
      for (const args of [['check'], ['push', '--dry-run'], ['push']]) {
        const run = await sh(args, cwd, ALL);
        expect(run.code, args.join(' ')).toBe(2);
        expect(run.stderr).toMatch(
          /target\.caFile \(line \d+:\d+\): cannot read \S+no-such-ca\.pem \(.*ENOENT/,
        );
      }
      expect(await readdir(cwd)).not.toContain('out');
    });

    it('a missing directory.caFile is a configuration error (exit 2) too', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, {
        ...pushConfig(
          { ldapUrl: servers.slapd.url, mockUrl: servers.mock.url, caFile: servers.caFile },
          {},
          { caFile: 'gone.pem' },
        ),
      });
      const run = await sh(['check'], cwd, ALL);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/directory\.caFile \(line \d+:\d+\): cannot read \S+gone\.pem/);
    });
  },
);

describe('history, diff and schedule install need no vendor secrets (no directory needed)', () => {
  const config = {
    directory: { kind: 'ldap', url: 'ldap://127.0.0.1:1' },
    locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
    target: {
      profile: 'receptionist',
      tokenUrl: 'https://vendor.example/oauth/token',
      uploadUrl: 'https://vendor.example/contacts/import',
      clientId: '${env:ADSYNC_CLIENT_ID}',
      clientSecret: '${file:./client-secret.txt}',
    },
    schedule: { cron: '0 6 * * *' },
  };

  it('load the config with ADSYNC_CLIENT_ID unset and the secret file absent', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, config);
    const history = await runAdsync(['history'], { cwd });
    expect(history.code, history.stderr).toBe(0);
    const diff = await runAdsync(['diff'], { cwd });
    // Nothing to compare yet: a usage answer about the history, not about secrets.
    expect(diff.stderr).toContain('fewer than two pushes');
    expect(diff.stderr).not.toContain('ADSYNC_CLIENT_ID');
    const installed = await runAdsync(['schedule', 'install', '--platform', 'systemd'], {
      cwd,
      env: { HOME: join(cwd, 'home') },
    });
    expect(installed.code, installed.stderr).toBe(0);
    // A real push still refuses, naming the variable and the file at once.
    const pushed = await runAdsync(['push'], { cwd });
    expect(pushed.code).toBe(2);
    expect(pushed.stderr).toContain('target.clientId: environment variable ADSYNC_CLIENT_ID is not set');
    expect(pushed.stderr).toMatch(
      /target\.clientSecret: cannot read secret file \S+client-secret\.txt \(.*ENOENT/,
    );
    expect(pushed.stderr).toMatch(/hint: Set ADSYNC_CLIENT_ID .*Check that each file exists/);
  });
});

describe("check's vendor part and loopback http://", () => {
  it('refuses http:// without --insecure-http, and with it goes on to the token endpoint', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, {
      directory: { kind: 'ldap', url: 'ldap://127.0.0.1:1' },
      locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
      target: {
        profile: 'receptionist',
        tokenUrl: 'http://127.0.0.1:1/token',
        uploadUrl: 'http://127.0.0.1:1/import',
        clientId: 'adsync',
        clientSecret: 'a-literal-secret-for-this-test',
      },
    });
    const refused = await runAdsync(['check', '--json'], { cwd });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      vendor: {
        status: 'failed',
        error: { code: 'CONFIG_INVALID', hint: expect.stringContaining('--insecure-http') as unknown },
      },
    });
    const allowed = await runAdsync(['check', '--insecure-http', '--json'], { cwd });
    expect(allowed.code).toBe(1);
    const vendor = (JSON.parse(allowed.stdout) as { vendor: Record<string, unknown> }).vendor;
    expect(vendor).toMatchObject({
      status: 'failed',
      tlsNote: 'http://127.0.0.1:1/token is plain http:// (--insecure-http)',
      error: {
        message: expect.stringContaining('cannot reach http://127.0.0.1:1/token: ECONNREFUSED') as unknown,
      },
    });
    expect(allowed.stdout + allowed.stderr).not.toContain('a-literal-secret-for-this-test');
  });
});
