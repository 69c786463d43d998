// `adsync init` as a new admin meets it (issue 27): the starter config has a schedule, so
// `schedule install` works on it the first time; it shows the API-key alternative to OAuth2 the
// vendors' documents speak of, and that form is valid once uncommented; and `init --file` into a
// folder that does not exist creates it, private to this account. Its `$schema` modeline names a
// schema file that exists (a git clone has no node_modules/adsync).
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { starterConfig } from '../../src/config/starter.js';
import { runAdsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';

const ENV = { ADSYNC_BIND_PASSWORD: 'x', ADSYNC_CLIENT_ID: 'id', ADSYNC_CLIENT_SECRET: 'secret' };

describe('adsync init', () => {
  it('--file into folders that do not exist creates them (mode 700), and schedule install works on the result', async () => {
    const cwd = await tempDir();
    const run = await runAdsync(['init', '--kind', 'ldap', '--file', 'etc/adsync/adsync.yaml'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`created the folder ${join(cwd, 'etc')}`);
    expect(run.stdout).toBe(`${join(cwd, 'etc', 'adsync', 'adsync.yaml')}\n`);
    if (process.platform !== 'win32') {
      for (const folder of ['etc', 'etc/adsync'])
        expect((await stat(join(cwd, folder))).mode & 0o777).toBe(0o700);
      expect((await stat(join(cwd, 'etc/adsync/adsync.yaml'))).mode & 0o777).toBe(0o600);
    }
    // The editor's schema is this installation's, wherever the config is.
    const config = join(cwd, 'etc', 'adsync', 'adsync.yaml');
    const schema =
      /^# yaml-language-server: \$schema=(\S+)$/m.exec(await readFile(config, 'utf8'))?.[1] ?? '';
    const schemaFile = schema.startsWith('file:') ? fileURLToPath(schema) : resolve(dirname(config), schema);
    expect(JSON.parse(await readFile(schemaFile, 'utf8'))).toHaveProperty('properties.directory');
    // The starter's schedule: block is what schedule install reads.
    const cron = await runAdsync(
      ['schedule', 'install', '--platform', 'cron', '--print', '--config', 'etc/adsync/adsync.yaml'],
      { cwd, env: ENV },
    );
    expect(cron.code, cron.stderr).toBe(0);
    expect(cron.stdout).toMatch(/^0 6 \* \* \* /m);
  });

  it('into a folder it cannot create says which and what to do', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, 'a file, not a folder', 'taken');
    const run = await runAdsync(['init', '--file', 'taken/adsync.yaml'], { cwd });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`cannot create the folder ${join(cwd, 'taken')}`);
    expect(run.stderr).toContain('Create the folder yourself');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it.each(['receptionist', 'ilobby'] as const)(
    "the %s starter's commented API-key form is valid once uncommented in place of the OAuth2 client",
    async (profile) => {
      const text = starterConfig({ kind: 'ldap', profile });
      expect(text).toContain('# apiKey: ${env:ADSYNC_API_KEY}');
      const withKey = text
        .split('\n')
        .filter((line) => !/^ {2}(tokenUrl|clientId|clientSecret):/.test(line))
        .map((line) => line.replace(/^ {2}# (apiKey|apiKeyHeader):/, '  $1:'))
        .join('\n');
      const dir = await tempDir();
      await writeConfig(dir, withKey);
      const { config } = await loadConfig({
        cwd: dir,
        env: { ADSYNC_BIND_PASSWORD: 'x', ADSYNC_API_KEY: 'key' },
      });
      expect(config.layout.profile).toBe(profile);
    },
  );
});
