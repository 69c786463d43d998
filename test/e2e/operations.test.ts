import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { runAdsync, startAdsync } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { useExampleServers } from '../harness/servers.js';
import { startCuttingProxy } from '../harness/slapd.js';
import { SYSTEMD_ANALYZE, systemTool } from '../harness/tools.js';
import { HOOK_TOKEN, startWebhook } from '../harness/webhook.js';
import { expectBalancedXml } from '../harness/xml.js';
import { systemdInstall } from '../harness/systemd-install.js';

const skip = inject('slapdSkip');
/** Python's expat, an XML parser that checks the declared encoding against the bytes (not on Windows). */
const hasPython =
  process.platform !== 'win32' &&
  systemTool('python3', ['-c', 'import xml.dom.minidom'], 'Debian: apt-get install python3');
const SECRET = 'ops-client-secret-0123456789';
const BIND_PASSWORD = 'svc-password-123';
const ENV = { TEST_BIND_PASSWORD: BIND_PASSWORD, ADSYNC_CLIENT_SECRET: SECRET };

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function allFiles(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(
    // Everything adsync wrote; the config is the admin's own file.
    names
      .filter((d) => d.isFile() && d.name !== 'adsync.yaml')
      .map((d) => readFile(join(d.parentPath, d.name), 'utf8')),
  );
  return texts.join('\n');
}

describe('schedule install (no directory needed)', () => {
  const config = {
    directory: { kind: 'ldap', url: 'ldap://127.0.0.1:1' },
    locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
    target: { profile: 'receptionist' },
    schedule: { cron: '0 6 * * 1-5', timezone: 'America/Toronto', timeoutMinutes: 20 },
  };

  // systemd and cron are POSIX's (the test's crontab is a shell script).
  it.skipIf(process.platform === 'win32')(
    'systemd: writes the service and timer into the user unit folder and says what is left to do',
    async () => {
      const { cwd, home, run, units, service } = await systemdInstall(config);
      expect(run.code, run.stderr).toBe(0);
      expect((await readdir(units)).sort()).toEqual(['adsync.service', 'adsync.timer']);
      expect(service).toContain(`--config ${join(cwd, 'adsync.yaml')} --quiet`);
      expect(service).toContain(`WorkingDirectory=${cwd}`);
      expect(service).toContain('TimeoutStartSec=1500');
      expect(await readFile(join(units, 'adsync.timer'), 'utf8')).toContain(
        'OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 06:00:00 America/Toronto',
      );
      expect(run.stderr).toContain(`installed for systemd: ${join(units, 'adsync.service')}`);
      // Without a user session bus (as here) the timer cannot be enabled: the commands are given.
      if (!run.stderr.includes('the schedule is active')) {
        expect(run.stderr).toContain('systemctl --user enable --now adsync.timer');
      }
      // systemd's own check of the pair (paths, quoting, specifiers, the calendar).
      const verify = spawnSync(
        'systemd-analyze',
        ['verify', '--man=no', join(units, 'adsync.service'), join(units, 'adsync.timer')],
        { encoding: 'utf8' },
      );
      if (systemTool('systemd-analyze', ['--version'], SYSTEMD_ANALYZE))
        expect(verify.status, verify.stderr).toBe(0);

      // Another config must not take these units over silently.
      const other = join(cwd, 'site2');
      await mkdir(other);
      await writeConfig(other, config);
      const clash = await runAdsync(['schedule', 'install', '--platform', 'systemd'], {
        cwd: other,
        env: { HOME: home },
      });
      expect(clash.code).toBe(1);
      expect(clash.stderr).toContain('adsync.service already runs another config');
      expect(clash.stderr).toContain('--name');
      const named = await runAdsync(
        ['schedule', 'install', '--platform', 'systemd', '--name', 'adsync-site2'],
        {
          cwd: other,
          env: { HOME: home },
        },
      );
      expect(named.code, named.stderr).toBe(0);
      expect((await readdir(units)).sort()).toEqual([
        'adsync-site2.service',
        'adsync-site2.timer',
        'adsync.service',
        'adsync.timer',
      ]);
    },
  );

  it.skipIf(process.platform === 'win32')(
    "cron: adds one block to the user's crontab, keeps other lines, and replaces it on reinstall",
    async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config);
      // A crontab(1) that keeps the table in $HOME, as the real one keeps it in /var/spool/cron.
      const bin = join(cwd, 'bin');
      await mkdir(bin);
      await writeFile(
        join(bin, 'crontab'),
        '#!/bin/sh\nf="$HOME/crontab.txt"\n[ -n "$CRONTAB_BROKEN" ] && { echo "crontab: cannot open /var/spool/cron" >&2; exit 1; }\ncase "$1" in\n  -l) [ -f "$f" ] || { echo "no crontab for $USER" >&2; exit 1; }; cat "$f" ;;\n  -) cat > "$f" ;;\n  *) exit 2 ;;\nesac\n',
      );
      await chmod(join(bin, 'crontab'), 0o755);
      const env = { PATH: `${bin}:${process.env.PATH ?? ''}` };
      const first = await runAdsync(['schedule', 'install', '--platform', 'cron'], { cwd, env });
      expect(first.code, first.stderr).toBe(0);
      // Active only where a cron daemon reads the crontab (as pgrep sees this machine).
      const pgrep = ['cron', 'crond', 'fcron'].map((n) => spawnSync('pgrep', ['-x', n]).status);
      const inactive =
        'the crontab line is installed, but the schedule is NOT active: no cron daemon is running on this machine';
      if (pgrep.includes(0)) expect(first.stderr).toContain('the schedule is active');
      else if (pgrep.includes(1)) {
        expect(first.stderr).toContain(inactive);
        expect(first.stderr).not.toContain('the schedule is active');
      } else expect(first.stderr).toMatch(/the schedule is active|NOT active/); // no pgrep here
      await writeFile(
        join(cwd, 'crontab.txt'),
        `MAILTO=ops@example.com\n${await readFile(join(cwd, 'crontab.txt'), 'utf8')}`,
      );
      const again = await runAdsync(['schedule', 'install', '--platform', 'cron'], { cwd, env });
      expect(again.code, again.stderr).toBe(0);
      const table = (await readFile(join(cwd, 'crontab.txt'), 'utf8')).trimEnd().split('\n');
      expect(table[0]).toBe('MAILTO=ops@example.com');
      expect(table.filter((l) => l.includes('#adsync-job:'))).toHaveLength(2); // the comment and the job, once
      // A crontab that cannot be read is never overwritten (that would drop the other jobs).
      const broken = await runAdsync(['schedule', 'install', '--platform', 'cron'], {
        cwd,
        env: { ...env, CRONTAB_BROKEN: '1' },
      });
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('crontab -l failed: crontab: cannot open /var/spool/cron');
      expect((await readFile(join(cwd, 'crontab.txt'), 'utf8')).trimEnd().split('\n')).toEqual(table);
      expect(table.at(-1)).toMatch(
        /^0 6 \* \* 1-5 cd \S+ && exec timeout -k 60 1500 \S+node \S+adsync\.js push --config \S+adsync\.yaml --quiet/,
      );

      // A config with ${env:} secrets: the block names the variables the job will not have (a
      // value set in this shell is neither inherited nor written), and a reinstall replaces it.
      const password = 'bind-pw-from-this-shell';
      await writeConfig(cwd, {
        ...config,
        directory: { ...config.directory, bindDN: 'cn=svc', bindPassword: '${env:AD_BIND_PASSWORD}' },
        target: { ...config.target, clientSecret: '${env:VENDOR_CLIENT_SECRET}' },
      });
      const secrets = await runAdsync(['schedule', 'install', '--platform', 'cron'], {
        cwd,
        env: { ...env, AD_BIND_PASSWORD: password },
      });
      expect(secrets.code, secrets.stderr).toBe(0);
      const withEnv = await readFile(join(cwd, 'crontab.txt'), 'utf8');
      const block = withEnv.split('\n').filter((l) => l.includes('#adsync-job:'));
      expect(block).toHaveLength(4);
      expect(block[1]).toContain(
        "cron starts this job without your shell's variables; the config's ${env:} references need: AD_BIND_PASSWORD, VENDOR_CLIENT_SECRET",
      );
      expect(secrets.stderr).toContain(
        'AD_BIND_PASSWORD is set in this shell, but the job does not inherit it',
      );
      expect(secrets.stderr).toContain('give them as NAME=value lines above the adsync lines in the crontab');
      expect(`${withEnv}${secrets.stderr}${secrets.stdout}`).not.toContain(password);
    },
  );

  it('windows: prints the task XML anywhere, installs only on Windows', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, config);
    const printed = await runAdsync(
      ['schedule', 'install', '--platform', 'windows', '--print', '--command', 'C:\\adsync\\adsync.exe'],
      { cwd },
    );
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Task version="1.2"/);
    expect(printed.stdout).toContain('<Command>C:\\adsync\\adsync.exe</Command>');
    expect(printed.stdout).toContain('<ExecutionTimeLimit>PT25M</ExecutionTimeLimit>');
    expect(printed.stderr).toContain('schtasks /Create');
    if (process.platform !== 'win32') {
      const refused = await runAdsync(['schedule', 'install', '--platform', 'windows'], { cwd });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`cannot install a windows schedule on ${process.platform}`);
      expect(refused.stderr).toContain('--print');
    }
  });

  it('windows: --output writes the task in the encoding it declares, with the paths of the Windows machine', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, config);
    const run = await runAdsync(
      [
        'schedule',
        'install',
        '--platform',
        'windows',
        '--print',
        '--output',
        'adsync-task.xml',
        '--task-config',
        'C:\\Program Files\\adsync\\adsync.yaml',
        '--task-program',
        'C:\\Program Files\\adsync\\adsync-win-x64.exe',
        '--user',
        'CORP\\adsync-gmsa$',
      ],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    const file = join(cwd, 'adsync-task.xml');
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`wrote ${file} (UTF-16)`);
    expect(run.stderr).toContain('schtasks /Create /TN "\\adsync\\adsync" /XML adsync-task.xml /F');
    // Every path in the task is the Windows machine's: nothing to warn about.
    expect(run.stderr).not.toContain('names paths of this');
    const bytes = await readFile(file);
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const xml = bytes.subarray(2).toString('utf16le');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-16"\?>\n<Task version="1.2"/);
    expectBalancedXml(xml);
    expect(xml).toContain('<Command>&quot;C:\\Program Files\\adsync\\adsync-win-x64.exe&quot;</Command>');
    expect(xml).toContain(
      '<Arguments>push --config &quot;C:\\Program Files\\adsync\\adsync.yaml&quot; --quiet</Arguments>',
    );
    expect(xml).toContain('<WorkingDirectory>C:\\Program Files\\adsync</WorkingDirectory>');
    expect(xml).toContain('<LogonType>Password</LogonType>');
    expect(xml).not.toContain(cwd);
    if (hasPython) {
      // An XML parser of its own (expat) reads the bytes by the declaration, and refuses a file
      // whose bytes are not in the encoding it declares.
      const parsed = spawnSync(
        'python3',
        [
          '-c',
          'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); print(d.getElementsByTagName("Command")[0].firstChild.data)',
          file,
        ],
        { encoding: 'utf8' },
      );
      expect(parsed.stderr).toBe('');
      expect(parsed.stdout.trim()).toBe('"C:\\Program Files\\adsync\\adsync-win-x64.exe"');
    }
  });

  it("windows: says which paths are this machine's, refuses a relative --task-config and an --output adsync reads", async () => {
    const cwd = await tempDir();
    const configFile = await writeConfig(cwd, config);
    const before = await readFile(configFile);
    const mine = await runAdsync(['schedule', 'install', '--platform', 'windows', '--print'], { cwd });
    expect(mine.code, mine.stderr).toBe(0);
    if (process.platform !== 'win32') {
      expect(mine.stderr).toContain(`names paths of this ${process.platform} machine`);
      expect(mine.stderr).toContain(`--task-config (the config is ${configFile} here)`);
      expect(mine.stderr).toContain('--task-program (the program is');
    }
    const relative = await runAdsync(
      ['schedule', 'install', '--platform', 'windows', '--print', '--task-config', 'adsync.yaml'],
      { cwd },
    );
    expect(relative.code).toBe(2);
    expect(relative.stderr).toContain('--task-config adsync.yaml is not an absolute Windows path');
    const onConfig = await runAdsync(
      ['schedule', 'install', '--platform', 'windows', '--output', configFile],
      { cwd },
    );
    expect(onConfig.code).toBe(2);
    expect(onConfig.stderr).toContain(`--output: ${configFile} is the config`);
    expect(await readFile(configFile)).toEqual(before);
    const two = await runAdsync(['schedule', 'install', '--platform', 'systemd', '--output', 'units'], {
      cwd,
    });
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('--output writes one file; systemd needs 2');
  });

  it('explains a missing or invalid schedule as a config error (exit 2)', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, { ...config, schedule: undefined });
    const none = await runAdsync(['schedule', 'install', '--platform', 'cron', '--print'], { cwd });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('schedule.cron is not set');
    await writeConfig(cwd, { ...config, schedule: { cron: '0 25 * * *', timezone: 'Mars/Olympus' } });
    const bad = await runAdsync(['schedule', 'run'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/schedule\.cron .*"0 25 \* \* \*" is not a cron expression/);
    expect(bad.stderr).toContain('"Mars/Olympus" is not an IANA time zone');
  });
});

describe.skipIf(skip !== '')(
  `operations: schedule run, time limits, logs and notifications (slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useExampleServers(SECRET);
    let hook: Awaited<ReturnType<typeof startWebhook>>;

    const config = (
      cwd: string,
      extra: Record<string, unknown> = {},
      directory: Record<string, unknown> = {},
    ): Promise<string> =>
      writeConfig(cwd, {
        ...pushConfig(
          { ldapUrl: servers.slapd.url, mockUrl: servers.mock.url, caFile: servers.caFile },
          { retries: { attempts: 1 } },
          directory,
        ),
        logging: { file: './logs/adsync.log' },
        notify: { webhook: hook.url, caFile: hook.caFile },
        ...extra,
      });

    beforeAll(async () => {
      hook = await startWebhook(await tempDir());
    });

    afterAll(async () => {
      await hook.close();
    });

    it('schedule run: keeps going after failed runs, fires again, recovers, and stops cleanly on SIGTERM', async () => {
      const cwd = await tempDir();
      // The first push, approved by hand, as an admin would before scheduling the job.
      await config(cwd, { schedule: { cron: '*/2 * * * * *' } });
      expect((await runAdsync(['push', '--first-push'], { cwd, env: ENV })).code).toBe(0);
      // Every 2 seconds, with a directory that cannot be reached: each run fails.
      await config(cwd, { schedule: { cron: '*/2 * * * * *' } }, { url: 'ldap://127.0.0.1:1' });
      const hooksBefore = hook.received.length;
      const scheduler = startAdsync(['schedule', 'run', '--now'], { cwd, env: ENV });
      const statusFile = join(cwd, 'adsync-state', 'schedule-status.json');
      const status = async (): Promise<Record<string, unknown> & { lastRun?: Record<string, unknown> }> =>
        JSON.parse(await readFile(statusFile, 'utf8').catch(() => '{}')) as Record<string, unknown>;
      await until('two failed runs', async () => ((await status()).failures as number) >= 2);
      const failing = await status();
      expect(String(failing.state)).toMatch(/^(waiting|running)$/);
      expect(failing.consecutiveFailures).toBe(failing.failures);
      expect(failing.lastRun).toMatchObject({ exitCode: 1, outcome: 'failed' });
      expect(String(failing.lastRun?.message)).toContain('cannot reach ldap://127.0.0.1:1');
      expect(typeof failing.nextRun).toBe('string');
      // Each failed run sent its notification.
      await until('webhooks', () => Promise.resolve(hook.received.length >= hooksBefore + 2));

      // Fix the config: the next run reads it afresh and succeeds.
      await config(cwd, { schedule: { cron: '*/2 * * * * *' } });
      await until('a successful run', async () => (await status()).lastRun?.outcome === 'ok');
      expect((await status()).consecutiveFailures).toBe(0);
      scheduler.kill('SIGTERM');
      const ended = await scheduler.done;
      expect(ended.code, ended.stderr).toBe(0);
      const final = await status();
      expect(final).toMatchObject({ state: 'stopped', running: null, nextRun: null });
      expect((final.runs as number) - (final.failures as number)).toBeGreaterThanOrEqual(1);
      expect(ended.stderr).toMatch(/run \w{12} failed \(exit 1\): cannot reach ldap:\/\/127\.0\.0\.1:1/);
      expect(ended.stderr).toMatch(/run \w{12} succeeded: 9 rows/);

      // The log holds the scheduler's line for each run and the run's own lines, with one id.
      const lines = (await readFile(join(cwd, 'logs', 'adsync.log'), 'utf8'))
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              runId: string;
              level: string;
              event?: string;
              run?: { runId: string; exitCode: number };
            },
        );
      const failedRun = lines.find((l) => l.event === 'scheduled-run' && l.run?.exitCode === 1);
      expect(failedRun?.level).toBe('error');
      const own = lines.filter((l) => l.runId === failedRun?.run?.runId);
      expect(own.some((l) => l.event === 'finish' && l.level === 'error')).toBe(true);
      const text = await allFiles(cwd);
      expect(text).not.toContain(BIND_PASSWORD);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(HOOK_TOKEN);
    }, 90_000);

    it('a failed push is visible: exit 1, an error line in the log, a webhook; a guard trip notifies as a guard', async () => {
      const cwd = await tempDir();
      await config(cwd);
      const before = hook.received.length;
      const failed = await runAdsync(['push'], {
        cwd,
        env: { ...ENV, TEST_BIND_PASSWORD: 'wrong-password-1' },
      });
      expect(failed.code).toBe(1);
      await until('the webhook', () => Promise.resolve(hook.received.length > before));
      const notice = hook.received.at(-1);
      expect(notice?.path).toBe(`/services/${HOOK_TOKEN}`);
      expect(notice?.body.text).toMatch(/^adsync push on \S+ FAILED \(exit 1, LDAP_BIND\): bind failed/);
      expect(notice?.body.adsync).toMatchObject({
        outcome: 'failure',
        exitCode: 1,
        code: 'LDAP_BIND',
        command: 'push',
      });
      const log = await readFile(join(cwd, 'logs', 'adsync.log'), 'utf8');
      const finish = log
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.event === 'finish');
      expect(finish).toMatchObject({ level: 'error', exitCode: 1, error: { code: 'LDAP_BIND' } });
      expect(finish?.runId).toBe((notice?.body.adsync as { runId: string }).runId);

      await config(cwd, { safety: { mustInclude: ['nobody@example.com'] } });
      const guarded = await runAdsync(['push'], { cwd, env: ENV });
      expect(guarded.code).toBe(3);
      await until('the guard webhook', () => Promise.resolve(hook.received.length > before + 1));
      expect(hook.received.at(-1)?.body).toMatchObject({ adsync: { outcome: 'guard', exitCode: 3 } });
      expect(`${failed.stderr}${guarded.stderr}${log}`).not.toContain(HOOK_TOKEN);
    });

    it('a webhook that cannot be reached is reported and never changes the exit code', async () => {
      const cwd = await tempDir();
      await config(cwd, { notify: { webhook: `https://127.0.0.1:1/services/${HOOK_TOKEN}` } });
      const failed = await runAdsync(['push'], {
        cwd,
        env: { ...ENV, TEST_BIND_PASSWORD: 'wrong-password-1' },
      });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(
        'could not send the failure notification: the webhook at 127.0.0.1:1 could not be reached',
      );
      expect(failed.stderr).not.toContain(HOOK_TOKEN);
      await config(cwd, { notify: { webhook: hook.url } }); // no CA: the webhook's certificate is not trusted
      const untrusted = await runAdsync(['push', '--dry-run'], {
        cwd,
        env: { ...ENV, TEST_BIND_PASSWORD: 'wrong-password-1' },
      });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/could not send the failure notification: .*(certificate|CERT)/i);
    });

    it('--timeout ends a hung directory read with exit 1 and a clear message, and frees the lock', async () => {
      const proxy = await startCuttingProxy(servers.slapd.port, 600, 'stall');
      try {
        const cwd = await tempDir();
        await config(cwd, { notify: undefined }, { url: `ldap://127.0.0.1:${proxy.port}` });
        const started = Date.now();
        const run = await runAdsync(['push', '--timeout', '2s', '--json'], { cwd, env: ENV });
        expect(run.code).toBe(1);
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(run.stderr).toContain('the run was stopped after 2 s, its time limit');
        expect(JSON.parse(run.stdout)).toMatchObject({
          status: 'error',
          exitCode: 1,
          error: { code: 'RUN_TIMEOUT' },
        });
        // The lock was released: the next push runs (and succeeds against the real server).
        await config(cwd, { notify: undefined });
        const next = await runAdsync(['push', '--first-push'], { cwd, env: ENV });
        expect(next.code, next.stderr).toBe(0);
      } finally {
        await proxy.close();
      }
    });

    it('SIGTERM stops a push safely (exit 1, RUN_INTERRUPTED); a timed-out upload leaves the baseline as it was', async () => {
      const cwd = await tempDir();
      await config(cwd, { notify: undefined });
      expect((await runAdsync(['push', '--first-push'], { cwd, env: ENV })).code).toBe(0);
      const stateDir = join(cwd, 'adsync-state');
      const stateName = (await readdir(stateDir)).find((n) => /^state-.*\.json$/.test(n)) ?? '';
      const baseline = await readFile(join(stateDir, stateName));

      servers.mock.faults.delayMs = 20_000;
      try {
        const seen = servers.mock.requestsSeen();
        const slow = startAdsync(['push', '--allow-archive', '0'], { cwd, env: ENV });
        // Stop it while its token request hangs at the vendor: the upload phase has begun.
        await until('the token request', () => Promise.resolve(servers.mock.requestsSeen() > seen));
        slow.kill('SIGTERM');
        const t0 = Date.now();
        const stopped = await slow.done;
        expect(Date.now() - t0).toBeLessThan(5000); // not held by the request in flight
        expect(stopped.code).toBe(1);
        expect(stopped.stderr).toContain('the run was stopped by SIGTERM');
        expect(await readFile(join(stateDir, stateName))).toEqual(baseline);

        const t1 = Date.now();
        const timedOut = await runAdsync(['push', '--timeout', '3s'], { cwd, env: ENV });
        expect(Date.now() - t1).toBeLessThan(10_000);
        expect(timedOut.code).toBe(1);
        expect(timedOut.stderr).toContain('its time limit');
        expect(await readFile(join(stateDir, stateName))).toEqual(baseline);
      } finally {
        servers.mock.faults.delayMs = 0;
      }
      // Nothing was left locked.
      expect((await runAdsync(['push'], { cwd, env: ENV })).code).toBe(0);
    }, 60_000);

    it('stopping the scheduler during an upload stops the run safely first: no baseline moved, exit 0', async () => {
      const cwd = await tempDir();
      await config(cwd, { notify: undefined, schedule: { cron: '0 0 1 1 *' } });
      expect((await runAdsync(['push', '--first-push'], { cwd, env: ENV })).code).toBe(0);
      const stateDir = join(cwd, 'adsync-state');
      const stateName = (await readdir(stateDir)).find((n) => /^state-.*\.json$/.test(n)) ?? '';
      const baseline = await readFile(join(stateDir, stateName));
      servers.mock.faults.delayMs = 30_000;
      try {
        const seen = servers.mock.requestsSeen();
        const scheduler = startAdsync(['schedule', 'run', '--now'], { cwd, env: ENV });
        await until('the run to reach the vendor', () => Promise.resolve(servers.mock.requestsSeen() > seen));
        const stopAt = Date.now();
        scheduler.kill('SIGTERM');
        const ended = await scheduler.done;
        expect(ended.code, ended.stderr).toBe(0);
        expect(Date.now() - stopAt).toBeLessThan(10_000); // the run stopped; it was not waited out
        expect(ended.stderr).toContain('stopped by the scheduler, which is shutting down');
        const status = JSON.parse(await readFile(join(stateDir, 'schedule-status.json'), 'utf8')) as {
          state: string;
          lastRun: { outcome: string; exitCode: number };
        };
        expect(status).toMatchObject({ state: 'stopped', lastRun: { outcome: 'failed', exitCode: 1 } });
        expect(await readFile(join(stateDir, stateName))).toEqual(baseline);
      } finally {
        servers.mock.faults.delayMs = 0;
      }
      expect((await runAdsync(['push'], { cwd, env: ENV })).code).toBe(0); // no lock left behind
    }, 60_000);

    it('logging: JSON lines with run id, level and message; rotated by size; no secrets', async () => {
      const cwd = await tempDir();
      await config(cwd, {
        notify: undefined,
        logging: { file: './logs/adsync.log', maxSizeMB: 0.002, keep: 2 },
      });
      for (let i = 0; i < 4; i++)
        expect((await runAdsync(['push', '--dry-run', '-v'], { cwd, env: ENV })).code).toBe(0);
      const files = (await readdir(join(cwd, 'logs'))).sort();
      expect(files).toEqual(['adsync.log', 'adsync.log.1', 'adsync.log.2']);
      for (const name of files) {
        const text = await readFile(join(cwd, 'logs', name), 'utf8');
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(0.002 * 1024 * 1024 + 1024);
        for (const line of text.trim().split('\n')) {
          const record = JSON.parse(line) as Record<string, unknown>;
          expect(Number.isNaN(Date.parse(String(record.time)))).toBe(false);
          expect(String(record.level)).toMatch(/^(info|warn|error)$/);
          expect(String(record.runId)).toMatch(/^[0-9a-f]{12}$/);
          expect(typeof record.message).toBe('string');
          expect(String(record.message)).not.toContain('\u001b[');
        }
        expect(text).not.toContain(BIND_PASSWORD);
      }
      // --log-file catches a run whose config cannot even be read.
      await writeFile(join(cwd, 'adsync.yaml'), 'directory: [\n');
      const broken = await runAdsync(['push', '--log-file', 'early.log'], { cwd, env: ENV });
      expect(broken.code).toBe(2);
      const early = (await readFile(join(cwd, 'early.log'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(early.at(-1)).toMatchObject({ event: 'finish', exitCode: 2, error: { code: 'CONFIG_SYNTAX' } });
    });
  },
);
