// The bind password as a systemd credential: the real CLI reads ${credential:NAME} from the
// CREDENTIALS_DIRECTORY systemd gives a service, and `schedule install --platform systemd`
// writes the LoadCredentialEncrypted= lines without needing the credentials itself.
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { runAdsync } from '../harness/cli.js';
import { BIND_ENV, exampleConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { SYSTEMD_ANALYZE, systemTool } from '../harness/tools.js';
import { systemdInstall } from '../harness/systemd-install.js';

const skip = inject('slapdSkip');
const PASSWORD = BIND_ENV.TEST_BIND_PASSWORD;

/** A folder as systemd makes it for a service: one file per credential, named by it. */
async function credentialsDir(parent: string, files: Record<string, string>): Promise<string> {
  const dir = join(parent, 'credentials');
  await mkdir(dir, { mode: 0o700 });
  for (const [name, value] of Object.entries(files)) await writeFile(join(dir, name), value, { mode: 0o400 });
  return dir;
}

describe.skipIf(skip !== '')(
  `\${credential:} bind password against slapd${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const config = exampleConfig();
    const withCredential = {
      ...config,
      directory: { ...config.directory, bindPassword: '${credential:adsync-bind-password}' },
      // Only an upload needs it: deferred as a ${env:} or ${file:} of the target is.
      target: { ...config.target, clientId: 'adsync', clientSecret: '${credential:adsync-client-secret}' },
    };

    it('check and push --dry-run bind with the password from CREDENTIALS_DIRECTORY, never showing it', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, withCredential);
      // As `systemd-creds encrypt` of a typed value leaves it: with a line break at the end.
      const credentials = await credentialsDir(cwd, { 'adsync-bind-password': `${PASSWORD}\n` });
      for (const args of [
        ['check', '--verbose'],
        ['push', '--dry-run', '--verbose'],
      ]) {
        const run = await runAdsync(args, { cwd, env: { CREDENTIALS_DIRECTORY: credentials } });
        expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
        expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
        if (args[0] === 'check')
          expect(run.stderr).toContain(
            'set target.clientSecret (${credential:adsync-client-secret}) to check',
          );
      }
      // A wrong password is the directory's refusal, not a config problem.
      await writeFile(join(credentials, 'adsync-bind-password'), 'not-the-password\n', { mode: 0o600 });
      const wrong = await runAdsync(['check'], { cwd, env: { CREDENTIALS_DIRECTORY: credentials } });
      expect(wrong.code).toBe(1);
      expect(`${wrong.stdout}${wrong.stderr}`).not.toContain('not-the-password');
    }, 60_000);

    it('outside a service (no CREDENTIALS_DIRECTORY) or without the credential: exit 2, saying what to do', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, withCredential);
      const manual = await runAdsync(['check'], { cwd });
      expect(manual.code).toBe(2);
      expect(manual.stderr).toContain(
        'directory.bindPassword: ${credential:adsync-bind-password} needs CREDENTIALS_DIRECTORY, which is not set',
      );
      expect(manual.stderr).toContain('CREDENTIALS_DIRECTORY=/path adsync');
      const empty = await credentialsDir(cwd, {});
      const missing = await runAdsync(['push', '--dry-run'], { cwd, env: { CREDENTIALS_DIRECTORY: empty } });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(
        `directory.bindPassword: cannot read credential adsync-bind-password in ${empty}`,
      );
    });
  },
);

describe('schedule install with ${credential:} references (no directory needed)', () => {
  const config = {
    directory: {
      kind: 'ldap',
      url: 'ldap://127.0.0.1:1',
      bindDN: 'cn=svc',
      bindPassword: '${credential:adsync-bind-password}',
    },
    locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
    target: {
      profile: 'receptionist',
      clientId: 'adsync',
      clientSecret: '${credential:vendor-secret}',
      uploadUrl: 'https://vendor.example/import',
      tokenUrl: 'https://vendor.example/token',
    },
    notify: { webhook: '${credential:adsync-bind-password}' },
    schedule: { cron: '0 6 * * *' },
  };

  it.skipIf(process.platform === 'win32')(
    'systemd: installs without the credentials, one LoadCredentialEncrypted= line each, that systemd accepts',
    async () => {
      const { run, units, service } = await systemdInstall(config);
      expect(run.code, run.stderr).toBe(0);
      expect(service.split('\n').filter((l) => l.startsWith('LoadCredential'))).toEqual([
        'LoadCredentialEncrypted=adsync-bind-password:%E/credstore.encrypted/adsync-bind-password',
        'LoadCredentialEncrypted=vendor-secret:%E/credstore.encrypted/vendor-secret',
      ]);
      expect(run.stderr).toContain(
        'systemd-creds --user encrypt --name=vendor-secret - ~/.config/credstore.encrypted/vendor-secret',
      );
      if (systemTool('systemd-analyze', ['--version'], SYSTEMD_ANALYZE)) {
        const verify = spawnSync(
          'systemd-analyze',
          ['verify', '--man=no', join(units, 'adsync.service'), join(units, 'adsync.timer')],
          { encoding: 'utf8' },
        );
        // Exit 0 is not enough: systemd ignores a bad setting with a line on stderr.
        expect(verify.status, verify.stderr).toBe(0);
        expect(verify.stderr).toBe('');
      }
    },
  );

  it('cron and Task Scheduler: says that only systemd gives a job its credentials', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, config);
    for (const platform of ['cron', 'windows']) {
      const run = await runAdsync(['schedule', 'install', '--platform', platform, '--print'], { cwd });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(
        "the config's ${credential:} references (adsync-bind-password, vendor-secret) are read from CREDENTIALS_DIRECTORY, which only systemd sets",
      );
    }
  });
});
