import { readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';

import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import type { HistoryEntry } from '../../src/state/history.js';
import { startAdsync, type CliProcess, type CliRun } from '../harness/cli.js';
import { mockTarget, pushConfig } from '../harness/example-config.js';
import { startGatedRelay, type GatedRelay } from '../harness/gated-relay.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { asRoot, startExampleSlapd, type Slapd } from '../harness/slapd.js';
import { sincePushArgs } from '../harness/runs.js';

const skip = inject('slapdSkip');
const SECRET = 'safety-client-secret-0123456789';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };

function adsync(args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV): CliProcess {
  return startAdsync(args, { cwd, env });
}

const sh = (args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV): Promise<CliRun> =>
  adsync(args, cwd, env).done;

/** `adsync diff` of the last push and the dry run after it. */
async function diffSincePush(cwd: string, json = false): Promise<CliRun> {
  const run = (args: string[]): Promise<CliRun> => sh(args, cwd);
  return run(['diff', ...(await sincePushArgs(run)), ...(json ? ['--json'] : [])]);
}

describe.skipIf(skip !== '')(
  `safety: plan, guards, state and locking (CLI, slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    let slapd: Slapd;
    let mock: MockServer;
    let relay: GatedRelay;
    let cwd: string;
    let caFile: string;

    const config = (
      extra: Record<string, unknown> = {},
      directory: Record<string, unknown> = {},
    ): Record<string, unknown> => ({
      ...pushConfig(
        { ldapUrl: slapd.url, mockUrl: relay.url, caFile },
        { retries: { attempts: 2, baseDelayMs: 10 } },
        directory,
      ),
      columns: { Identification: 'employeeNumber' },
      phone: { defaultCountry: 'CA' },
      output: { dir: './out' },
      ...extra,
    });

    const stateFile = async (): Promise<Buffer> => {
      const names = (await readdir(join(cwd, 'adsync-state'))).filter((n) => /^state-.*\.json$/.test(n));
      expect(names).toHaveLength(1);
      return readFile(join(cwd, 'adsync-state', names[0] ?? ''));
    };

    beforeAll(async () => {
      slapd = await startExampleSlapd();
      mock = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }] });
      cwd = await tempDir();
      // Every request goes through a relay that can hold an upload: a test waits for the upload
      // to arrive (a run mid-upload, holding its lock) instead of guessing a time.
      relay = await startGatedRelay(mock.url, mock.certificate);
      caFile = join(cwd, 'relay-ca.pem');
      await writeFile(caFile, relay.certificate);
      await writeConfig(cwd, config());
      const first = await sh(['push', '--first-push'], cwd);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('Plan: first push (no baseline): all 9 contacts are new to adsync');
    });

    afterAll(async () => {
      await relay.stop();
      await mock.stop();
      await slapd.stop();
    });

    beforeEach(async () => {
      Object.assign(mock.faults, { failNext: 0, failStatus: 503, dropNext: 0, delayMs: 0 });
      await writeConfig(cwd, config());
    });

    it('stops a push that would archive too many: exit 3, nothing uploaded, the numbers, the plan, how to approve', async () => {
      const uploads = mock.uploads().length;
      await writeConfig(cwd, config({}, { filter: '(!(|(uid=ada)(uid=zoe)(uid=eve)))' }));
      const stopped = await sh(['push'], cwd);
      expect(stopped.code).toBe(3);
      expect(stopped.stderr).toContain('a safety guard stopped the push; nothing was uploaded');
      expect(stopped.stderr).toContain(
        'would archive 3 of 7 contacts (43%) in location hq; limit 10% (counted above 2 archives)',
      );
      expect(stopped.stderr).toMatch(/Review the plan in \S+plan-\d{8}T\d{9}Z\.json/);
      expect(stopped.stderr).toContain('--allow-archive 3');
      expect(mock.uploads().length).toBe(uploads);

      const tooFew = await sh(['push', '--allow-archive', '2'], cwd);
      expect(tooFew.code).toBe(3);
      expect(mock.uploads().length).toBe(uploads);

      const dry = await sh(['push', '--dry-run', '--json', '--report', 'stopped.json'], cwd);
      expect(dry.code).toBe(3);
      // The stop keeps everything the run knew: files, counts, warnings, plan, and each guard
      // with its numbers.
      const stoppedReport: unknown = JSON.parse(dry.stdout);
      expect(stoppedReport).toMatchObject({
        command: 'push',
        status: 'error',
        exitCode: 3,
        dryRun: true,
        rows: 6,
        rejected: expect.any(Number) as number,
        locations: { hq: 4, warehouse: 2 },
        warnings: expect.any(Array) as unknown[],
        plan: { firstPush: false, create: 0, archive: 3, unchanged: expect.any(Number) as number },
        guards: [
          {
            guard: 'archive-percent',
            location: 'hq',
            archive: 3,
            total: 7,
            percent: 42.9,
            limit: 10,
            message:
              'would archive 3 of 7 contacts (43%) in location hq; limit 10% (counted above 2 archives)',
          },
          {
            guard: 'archive-percent',
            archive: 3,
            total: 9,
            percent: 33.3,
            limit: 10,
            message:
              'would archive 3 of 9 contacts (33%) in all locations; limit 10% (counted above 2 archives)',
          },
        ],
        error: { code: 'GUARD_TRIPPED', details: { guards: 'archive-percent' } },
      });
      const { csvPath, rejectsPath } = stoppedReport as { csvPath: string; rejectsPath: string };
      expect((await readFile(csvPath, 'utf8')).split('\r\n')).toHaveLength(8);
      expect(await readFile(rejectsPath, 'utf8')).toContain('Email');
      // --report gets the same report.
      expect(JSON.parse(await readFile(join(cwd, 'stopped.json'), 'utf8'))).toEqual(stoppedReport);
      // On stderr: the counts per location and the plan line come before the guard's message.
      const human = (await sh(['push', '--dry-run'], cwd)).stderr;
      const at = (text: string | RegExp): number => human.search(text);
      expect(at(/hq\s+4 rows/)).toBeGreaterThan(-1);
      expect(at(/hq\s+4 rows/)).toBeLessThan(at('Plan: 0 to create'));
      expect(at('Plan: 0 to create')).toBeLessThan(at('this push would be stopped by a safety guard'));

      const approved = await sh(['push', '--allow-archive', '3', '--json'], cwd);
      expect(approved.code).toBe(0);
      const report = JSON.parse(approved.stdout) as {
        plan: { archive: number; archived: { name: string }[] };
        upload: { summary: { archived: number } };
      };
      expect(report.plan.archive).toBe(3);
      expect(report.plan.archived.map((a) => a.name).sort()).toEqual([
        'Ada Lovelace <ada@example.com>',
        'Eve Formula <eve@example.com>',
        'Zoë Ångström <zoe@example.com>',
      ]);
      expect(report.upload.summary.archived).toBe(3);

      // Back to the full directory: 3 to create again, nothing archived.
      await writeConfig(cwd, config());
      const back = await sh(['push'], cwd);
      expect(back.code).toBe(0);
      expect(back.stderr).toContain('Plan: 3 to create, 0 to update, 0 to archive, 6 unchanged');
      const history = await sh(['history', '--limit', '5'], cwd);
      expect(history.code).toBe(0);
      const lines = history.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^TIME +ID +RUN +TARGET +RESULT +EXIT +ROWS +PLAN/);
      const target = `receptionist ${new URL(relay.url).host} \\(adsync\\)`;
      expect(history.stdout).toMatch(new RegExp(`push +${target} +guard +3 +6 +\\+0 ~0 -3 =6`));
      // The guard's whole message is below its run, not cut at the first line.
      expect(history.stdout).toMatch(
        /^ {4,}.*would archive 3 of 7 contacts \(43%\) in location hq; limit 10% \(counted above 2 archives\)$/m,
      );
      // A dry run says so once: in RUN; its RESULT is the guard that stopped it.
      // (This test made two guard-stopped dry runs: one line each.)
      const dryRuns = lines.filter((l) => /^\S+Z +[0-9a-f]{12} +dry run /.test(l));
      expect(dryRuns).toHaveLength(2);
      for (const line of dryRuns) {
        expect(line).toMatch(new RegExp(`^\\S+ +[0-9a-f]{12} +dry run +${target} +guard +3 `));
        expect(line).not.toContain('dry-run');
      }
      // Beside the plan, what the vendor said it did (it restores the 3 archived: updates to it).
      expect(history.stdout).toMatch(
        new RegExp(`push +${target} +uploaded +0 +9 +\\+3 ~0 -0 =6 +\\+0 ~3 -0 =6 +\\S+\\.csv$`, 'm'),
      );
    });

    it('the plan, diff and history say where each update is and what each changed column was and becomes', async () => {
      // Its own vendor and state: Ada is in hq by OU and in the warehouse by group, pushed once.
      const vendor = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }] });
      const dir = await tempDir();
      const ldif = join(dir, 'retitle.ldif');
      const retitle = (title: string): Promise<unknown> =>
        writeFile(
          ldif,
          `dn: uid=ada,ou=hq,ou=people,dc=example,dc=com\nchangetype: modify\nreplace: title\ntitle: ${title}\n`,
        ).then(() => asRoot(slapd, 'ldapmodify', 'dc=example,dc=com', ['-f', ldif]));
      try {
        await writeFile(join(dir, 'ca.pem'), vendor.certificate);
        const base = config({}, { baseDN: 'dc=example,dc=com' });
        await writeConfig(dir, {
          ...base,
          target: {
            ...(base.target as Record<string, unknown>),
            ...mockTarget(vendor.url, join(dir, 'ca.pem')),
          },
          locations: [
            { slug: 'hq', ous: ['ou=hq,ou=people,dc=example,dc=com'] },
            { slug: 'warehouse', ous: ['ou=warehouse,ou=people,dc=example,dc=com'] },
            { slug: 'warehouse', groups: ['cn=warehouse-staff,ou=groups,dc=example,dc=com'] },
          ],
        });
        expect((await sh(['push', '--first-push'], dir)).code).toBe(0);
        await retitle('Chief Scientist');

        const dry = await sh(['push', '--dry-run', '--json'], dir);
        expect(dry.code).toBe(0);
        expect(dry.stderr).toContain('Plan: 0 to create, 2 to update, 0 to archive, 8 unchanged');
        for (const where of ['hq', 'warehouse']) {
          expect(dry.stderr).toContain(
            `  update: Ada Lovelace <ada@example.com> [${where}]: Business Title "Chief Analyst" → "Chief Scientist"\n`,
          );
        }
        const report = JSON.parse(dry.stdout) as { plan: { path: string } };
        const plan = JSON.parse(await readFile(report.plan.path, 'utf8')) as {
          update: { location: string; columns: string[]; changes: unknown[] }[];
        };
        expect(plan.update.map((u) => [u.location, u.columns, u.changes])).toEqual(
          ['hq', 'warehouse'].map((where) => [
            where,
            ['Business Title'],
            [{ column: 'Business Title', old: 'Chief Analyst', new: 'Chief Scientist' }],
          ]),
        );

        // diff (of the push and the dry run) tells the two Adas apart too.
        const diff = await diffSincePush(dir);
        expect(diff.code).toBe(0);
        expect(diff.stdout.trimEnd().split('\n')).toEqual(
          ['hq', 'warehouse'].map(
            (where) =>
              `~ Ada Lovelace <ada@example.com> [${where}]: Business Title "Chief Analyst" → "Chief Scientist"`,
          ),
        );
        expect(diff.stderr).toContain('0 contacts added, 0 removed, 2 changed');
        const diffJson = JSON.parse((await diffSincePush(dir, true)).stdout) as {
          command: string;
          changed: { location: string; changes: unknown[] }[];
        };
        expect(diffJson.command).toBe('diff');
        expect(diffJson.changed.map((c) => c.location)).toEqual(['hq', 'warehouse']);
        expect(diffJson.changed[0]?.changes).toEqual([
          { column: 'Business Title', old: 'Chief Analyst', new: 'Chief Scientist' },
        ]);

        // The history: a header, and a dry run that passed shown once, as such.
        const history = (await sh(['history'], dir)).stdout.trimEnd().split('\n');
        expect(history).toHaveLength(3);
        expect(history[2]).toMatch(
          /^\S+Z +[0-9a-f]{12} +dry run +receptionist \S+ \(adsync\) +ok +0 +10 +\+0 ~2 -0 =8 +\S+\.csv$/,
        );

        // Plurals: a first push of one contact says "the 1 contact", not "all 1 contacts".
        const one = await tempDir();
        await writeConfig(one, config({}, { filter: '(uid=walt)' }));
        const single = await sh(['push', '--dry-run'], one);
        expect(single.code).toBe(0);
        expect(single.stderr).toContain('Plan: first push (no baseline): the 1 contact is new to adsync');
      } finally {
        await retitle('Chief Analyst');
        await vendor.stop();
      }
    });

    it('refuses an empty export (a filter typo) even with --allow-archive; only --force would send it', async () => {
      await writeConfig(cwd, config({}, { filter: '(mial=*)' }));
      const uploads = mock.uploads().length;
      const run1 = await sh(['push', '--allow-archive', '1000'], cwd);
      expect(run1.code).toBe(3);
      expect(run1.stderr).toContain('empty-export: the export has no rows at all');
      expect(mock.uploads().length).toBe(uploads);
    });

    it('the empty-export hint names the flag that approves it, and following it works', async () => {
      await writeConfig(cwd, config({}, { filter: '(mial=*)' }));
      const stopped = await sh(['push', '--dry-run'], cwd);
      expect(stopped.code).toBe(3);
      expect(stopped.stderr).toContain('--allow-archive does not approve empty-export');
      expect(stopped.stderr).not.toMatch(/approve them for one run with --allow-archive/);
      // Followed as a dry run, so the vendor's book is left for the next tests.
      const followed = await sh(['push', '--dry-run', '--force'], cwd);
      expect(followed.code).toBe(0);
    });

    it('must-include canaries stop the run', async () => {
      await writeConfig(cwd, config({ safety: { mustInclude: ['ceo@example.com'] } }));
      const stopped = await sh(['push'], cwd);
      expect(stopped.code).toBe(3);
      expect(stopped.stderr).toContain(
        'must-include: safety.mustInclude contacts are missing from the export: ceo@example.com',
      );
    });

    it('the state only advances on a confirmed upload: vendor 500, wrong secret, SIGKILL mid-upload', async () => {
      const before = await stateFile();
      await writeConfig(cwd, config({}, { filter: '(!(uid=walt))' }));
      Object.assign(mock.faults, { failNext: 10, failStatus: 500 });
      expect((await sh(['push', '--allow-archive', '1'], cwd)).code).toBe(1);
      expect(await stateFile()).toEqual(before);
      mock.faults.failNext = 0;

      const wrong = await sh(['push', '--allow-archive', '1'], cwd, {
        ...ENV,
        ADSYNC_CLIENT_SECRET: 'not-the-secret',
      });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('refused client adsync');
      expect(await stateFile()).toEqual(before);

      // Killed while its upload is held at the vendor, arrived whole but not answered.
      const uploads = mock.uploads().length;
      const held = relay.hold();
      const killed = adsync(['push', '--allow-archive', '1'], cwd);
      await held.arrived;
      killed.kill();
      await killed.done;
      await held.abandoned;
      relay.release();
      expect(await stateFile()).toEqual(before);

      // The killed run left its lock behind: the next run takes it over and says so.
      const after = await sh(['push', '--allow-archive', '1'], cwd);
      expect(after.code).toBe(0);
      expect(mock.uploads()).toHaveLength(uploads + 1);
      expect(after.stderr).toContain(`took over a stale lock (pid ${killed.pid ?? 0} on ${hostname()}`);
      expect(await stateFile()).not.toEqual(before);
    });

    it('two pushes at once: one runs, the other exits 4 naming who holds the lock', async () => {
      // A's upload is held at the vendor until B has run: A holds the lock all that time.
      const held = relay.hold();
      const a = adsync(['push'], cwd);
      await held.arrived;
      const b = await sh(['push'], cwd);
      relay.release();
      expect(b.code).toBe(4);
      expect(b.stderr).toContain(`another adsync run holds the lock: pid ${a.pid ?? 0} on ${hostname()}`);
      expect((await a.done).code).toBe(0);
      // The refused run is in the history (before the run that held the lock, which ended later).
      const json = await sh(['history', '--limit', '2', '--json'], cwd);
      const report = JSON.parse(json.stdout) as { command: string; status: string; runs: HistoryEntry[] };
      expect(report).toMatchObject({ command: 'history', status: 'ok' });
      expect(report.runs.map((r) => [r.outcome, r.exitCode])).toEqual([
        ['locked', 4],
        ['uploaded', 0],
      ]);
      expect(report.runs[0]?.error).toContain(`another adsync run holds the lock: pid ${a.pid ?? 0}`);
      expect(report.runs[0]?.target).toMatchObject({
        profile: 'receptionist',
        host: new URL(relay.url).host,
        client: 'adsync',
      });
      const human = await sh(['history', '--limit', '2'], cwd);
      expect(human.stdout).toMatch(
        /^\S+Z +[0-9a-f]{12} +push +receptionist \S+ \(adsync\) +locked +4 +- +-\n {4}another adsync run holds the lock: pid \d+ on /m,
      );
    });

    it('a previously pushed contact whose row is now rejected is planned as an archive and counts against the limits', async () => {
      const ldif = join(cwd, 'break-ada.ldif');
      await writeFile(
        ldif,
        'dn: uid=ada,ou=hq,ou=people,dc=example,dc=com\nchangetype: modify\nreplace: mail\nmail: not an email\n-\ndelete: mobile\n',
      );
      await asRoot(slapd, 'ldapmodify', 'dc=example,dc=com', ['-f', ldif]);
      // With safety.archiveFloor at 0, the percent counts every archive, this one too.
      await writeConfig(cwd, config({ safety: { archiveFloor: 0 } }));
      const dry = await sh(['push', '--dry-run'], cwd);
      expect(dry.code).toBe(3);
      expect(dry.stderr).toContain('would archive 1 of 7 contacts (14%) in location hq; limit 10%\n');
      expect(dry.stderr).toContain('Would archive: Ada Lovelace <ada@example.com> (row rejected).');
      const plans = (await readdir(join(cwd, 'out'))).filter((n) => n.startsWith('plan-')).sort();
      const plan = JSON.parse(await readFile(join(cwd, 'out', plans.at(-1) ?? ''), 'utf8')) as {
        archive: { rejectedBecause?: string[] }[];
      };
      expect(plan.archive[0]?.rejectedBecause?.[0]).toContain(
        'Email "not an email" is not a valid email address',
      );
      // The two-pushes test's upload, and this dry run without Ada in hq.
      const diff = await diffSincePush(cwd);
      expect(diff.code).toBe(0);
      expect(diff.stdout.trim()).toBe('- Ada Lovelace <ada@example.com> [hq]');
      expect(diff.stderr).toContain('0 contacts added, 1 removed, 0 changed');
      // One archive of 7 is 14%, but not more than the default floor (2): it passes.
      await writeConfig(cwd, config());
      const small = await sh(['push', '--dry-run'], cwd);
      expect(small.code, small.stderr).toBe(0);
      expect(small.stderr).toContain('Plan: 0 to create, 0 to update, 1 to archive');
    });

    it('--force sends what the guards would stop', async () => {
      const other = await tempDir();
      await writeConfig(other, { ...config({}, { filter: '(mial=*)' }), state: { dir: './state' } });
      const uploads = mock.uploads().length;
      const stopped = await sh(['push'], other);
      expect(stopped.code, stopped.stderr).toBe(3);
      expect(mock.uploads().length).toBe(uploads);
      // --force lifts the archive guards; a push with no baseline also needs --first-push.
      expect((await sh(['push', '--force'], other)).code).toBe(3);
      const forced = await sh(['push', '--force', '--first-push', '--json'], other);
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.stdout)).toMatchObject({
        rows: 0,
        upload: { status: 'uploaded', httpStatus: 200 },
      });
      expect(mock.uploads().length).toBe(uploads + 1);
    });
  },
);
