import { readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { runAdsync, type CliProcess } from '../harness/cli.js';
import { hasFaketime, runAdsyncAt, until, useClockServers } from '../harness/clock.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';

const skip = inject('slapdSkip');
const SECRET = 'lock-client-secret-0123456789';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };
const THREE_HOURS_AGO = (): Date => new Date(Date.now() - 3 * 60 * 60 * 1000);

/** The run lock of the project's one target (state.dir is the default). */
async function lockPath(cwd: string): Promise<string | undefined> {
  const names = await readdir(join(cwd, 'adsync-state')).catch(() => []);
  const lock = names.find((n) => n.endsWith('.lock'));
  return lock === undefined ? undefined : join(cwd, 'adsync-state', lock);
}

describe.skipIf(skip !== '')(
  `lock: a live holder is never taken over; the holder refreshes it${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useClockServers(SECRET);

    const config = (
      extra: Record<string, unknown> = {},
      directory: Record<string, unknown> = {},
    ): Record<string, unknown> => ({
      ...pushConfig(
        { ldapUrl: inject('ldapUrl'), mockUrl: servers.mock.url, caFile: servers.caFile },
        {},
        directory,
      ),
      output: { dir: './out' },
      ...extra,
    });

    /** A real push that hangs in its directory read, once it holds the lock. */
    const startHolder = async (
      cwd: string,
      extra: Record<string, unknown> = {},
    ): Promise<{ holder: CliProcess; lock: string }> => {
      await writeConfig(cwd, config(extra, servers.hanging()));
      const holder = servers.start(['push', '--first-push'], { cwd, env: ENV });
      let lock: string | undefined;
      await until('the holder’s lock', async () => (lock = await lockPath(cwd)) !== undefined);
      return { holder, lock: lock ?? '' };
    };

    /** A holder killed with SIGKILL, its lock left behind; the config then reads the real directory. */
    const killedHolder = async (cwd: string): Promise<{ pid: number; lock: string }> => {
      const { holder, lock } = await startHolder(cwd);
      holder.kill();
      await holder.done;
      await writeConfig(cwd, config());
      return { pid: holder.pid ?? 0, lock };
    };

    it.runIf(hasFaketime())(
      'a second run with its clock 3 h ahead does not take over a live holder’s lock: exit 4',
      async () => {
        const cwd = await tempDir();
        // FIRST REAL PUSH (no baseline): the holder, which never gets past its directory read.
        const { holder, lock } = await startHolder(cwd);
        const text = await readFile(lock, 'utf8');
        for (const offset of ['+3h', '+1d']) {
          const second = await runAdsyncAt(offset, ['push', '--first-push'], { cwd, env: ENV });
          expect(second.code, second.stderr).toBe(4);
          expect(second.stderr).toContain(
            `another adsync run holds the lock: pid ${holder.pid ?? 0} on ${hostname()}`,
          );
        }
        expect(await readFile(lock, 'utf8')).toBe(text);
        holder.kill();
        await holder.done;
      },
    );

    it('a dead holder’s lock is taken over at once', async () => {
      const cwd = await tempDir();
      const { pid, lock } = await killedHolder(cwd);
      // FIRST REAL PUSH (no baseline), taking over the killed run's lock.
      const next = await runAdsync(['push', '--first-push'], { cwd, env: ENV });
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toContain(`took over a stale lock (pid ${pid} on ${hostname()}`);
      await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('a holder on another host: kept while it refreshes, taken over once it stopped for longer than the timeout', async () => {
      const cwd = await tempDir();
      // The lock file's name is the target's: a dry run does not take it, so learn it from a holder.
      const { lock } = await killedHolder(cwd);
      const other = { pid: 4242, host: 'other-host', startedAt: THREE_HOURS_AGO().toISOString() };
      await writeFile(lock, JSON.stringify(other));
      const kept = await runAdsync(['push', '--first-push'], { cwd, env: ENV });
      expect(kept.code, kept.stderr).toBe(4);
      expect(kept.stderr).toContain('another adsync run holds the lock: pid 4242 on other-host');
      await utimes(lock, THREE_HOURS_AGO(), THREE_HOURS_AGO());
      // FIRST REAL PUSH (no baseline), taking over the abandoned lock.
      const taken = await runAdsync(['push', '--first-push'], { cwd, env: ENV });
      expect(taken.code, taken.stderr).toBe(0);
      expect(taken.stderr).toMatch(
        /took over a stale lock \(pid 4242 on other-host since \S+, not refreshed for 180 min \(safety\.lockTimeoutMinutes: 120\)\)/,
      );
    });

    it('a working run refreshes its lock’s modification time', async () => {
      const cwd = await tempDir();
      // A short lock timeout refreshes every quarter of it (3 s); the run limit stays below it.
      // A real push (no baseline) that never gets past its directory read.
      const { holder, lock } = await startHolder(cwd, {
        safety: { lockTimeoutMinutes: 0.2 },
        schedule: { cron: '0 6 * * *', timeoutMinutes: 0.15 },
      });
      const old = THREE_HOURS_AGO();
      await utimes(lock, old, old);
      await until('the lock refreshed', async () => (await stat(lock)).mtimeMs > old.getTime() + 1000, 8000);
      holder.kill();
      await holder.done;
    });

    it('refuses a run time limit at or above safety.lockTimeoutMinutes (exit 2)', async () => {
      const cwd = await tempDir();
      const refused = async (extra: Record<string, unknown>, args: string[] = []): Promise<string> => {
        await writeConfig(cwd, config(extra));
        const run = await runAdsync(['push', '--dry-run', ...args], { cwd, env: ENV });
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain('safety.lockTimeoutMinutes');
        return run.stderr;
      };
      expect(await refused({ safety: { lockTimeoutMinutes: 30 } })).toContain(
        'the default of schedule.timeoutMinutes (30 min), must be shorter than safety.lockTimeoutMinutes (30 min)',
      );
      expect(await refused({ schedule: { cron: '0 6 * * *', timeoutMinutes: 180 } })).toContain(
        'schedule.timeoutMinutes (180 min), must be shorter than safety.lockTimeoutMinutes (120 min)',
      );
      expect(await refused({}, ['--timeout', '2h'])).toContain(
        '--timeout (120 min), must be shorter than safety.lockTimeoutMinutes (120 min)',
      );
      await writeConfig(cwd, config({ safety: { lockTimeoutMinutes: 31 } }));
      const fine = await runAdsync(['push', '--dry-run', '--timeout', '30m'], { cwd, env: ENV });
      expect(fine.code, fine.stderr).toBe(0);
    });
  },
);
