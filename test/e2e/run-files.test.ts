import { access, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { runAdsync } from '../harness/cli.js';
import { hasFaketime, runAdsyncAt, until, useClockServers } from '../harness/clock.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';

const skip = inject('slapdSkip');
const SECRET = 'run-files-client-secret-0123456789';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };
/** A run's stamp in its file names. */
const STAMP = /(\d{8}T\d{9}Z)/;

/** The output folder's entries, and the runs (stamps) whose CSV, rejects or plan is there. */
async function outputOf(cwd: string): Promise<{ names: string[]; runs: string[] }> {
  const names = (await readdir(join(cwd, 'out')).catch(() => [])).sort();
  const runs = new Set(names.filter((n) => !n.startsWith('.')).map((n) => STAMP.exec(n)?.[1] ?? n));
  return { names, runs: [...runs].sort() };
}

const temporaries = (names: string[]): string[] => names.filter((n) => n.endsWith('.tmp'));

describe.skipIf(skip !== '')(
  `run files: leftovers of killed runs, retention, a clock set back${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useClockServers(SECRET);

    const config = (keep: number, directory: Record<string, unknown> = {}): Record<string, unknown> => ({
      ...pushConfig(
        { ldapUrl: inject('ldapUrl'), mockUrl: servers.mock.url, caFile: servers.caFile },
        {},
        directory,
      ),
      output: { dir: './out', keep },
    });

    it.runIf(hasFaketime())(
      'a SIGKILLed run’s temporary CSV and plan are removed by the next run, never a live run’s; output.keep bounds the rest',
      async () => {
        const cwd = await tempDir();
        await writeConfig(cwd, config(2));
        for (let i = 0; i < 2; i++)
          expect((await runAdsync(['push', '--dry-run'], { cwd, env: ENV })).code).toBe(0);
        expect((await outputOf(cwd)).runs).toHaveLength(2);

        // A run that hangs in its directory read, its CSV and plan half written: a live run.
        await writeConfig(cwd, config(2, servers.hanging()));
        const stuck = servers.start(['push', '--dry-run'], { cwd, env: ENV });
        let partial: string[] = [];
        await until('the stuck run’s temporary CSV and plan', async () => {
          partial = temporaries((await outputOf(cwd)).names);
          return partial.some((n) => n.includes('.csv.')) && partial.some((n) => n.startsWith('.plan-'));
        });
        // Leftovers of an earlier release (no work folder names them) and a file that is not adsync's.
        const orphan = '.adsync-receptionist-20200101T000000000Z.csv.0123456789ab.tmp';
        const foreign = '.notes.txt.0123456789ab.tmp';
        await writeFile(join(cwd, 'out', orphan), 'Ada,Lovelace,ada@example.com\r\n');
        await writeFile(join(cwd, 'out', foreign), 'not adsync’s');

        // Another run meanwhile, its clock 3 h ahead: the live run's files stay.
        await writeConfig(cwd, config(2));
        const beside = await runAdsyncAt('+3h', ['push', '--dry-run'], { cwd, env: ENV });
        expect(beside.code, beside.stderr).toBe(0);
        let names = (await outputOf(cwd)).names;
        for (const name of partial) expect(names).toContain(name);

        stuck.kill('SIGKILL');
        await stuck.done;
        const next = await runAdsync(['push', '--dry-run'], { cwd, env: ENV });
        expect(next.code, next.stderr).toBe(0);
        const after = await outputOf(cwd);
        names = after.names;
        expect(temporaries(names)).toEqual([foreign]);
        expect(names.filter((n) => n.startsWith('.adsync-run-'))).toEqual([]);
        // keep: 2 — this run and the one before it (whose stamp is 3 h ahead).
        expect(after.runs).toHaveLength(2);
        expect(names).toContain(next.stdout.trim().split('\n').at(-1)?.split('/').at(-1));
      },
    );

    it.runIf(hasFaketime())(
      'with the clock set back a day, a run keeps its own new files and uploads them',
      async () => {
        const cwd = await tempDir();
        await writeConfig(cwd, config(1));
        expect((await runAdsync(['push', '--dry-run'], { cwd, env: ENV })).code).toBe(0);
        const before = (await outputOf(cwd)).runs;

        const dry = await runAdsyncAt('-1d', ['push', '--dry-run'], { cwd, env: ENV });
        expect(dry.code, dry.stderr).toBe(0);
        const dryCsv = dry.stdout.trim().split('\n').at(-1) ?? '';
        await access(dryCsv);
        // FIRST REAL PUSH (no baseline), its clock a day behind the files already there.
        const real = await runAdsyncAt('-1d', ['push', '--first-push'], { cwd, env: ENV });
        expect(real.code, real.stderr).toBe(0);
        const csv = real.stdout.trim().split('\n').at(-1) ?? '';
        await access(csv);
        // keep: 1 — only this run's files are left; the earlier ones (later stamps) are gone.
        const after = (await outputOf(cwd)).runs;
        expect(after).toEqual([STAMP.exec(csv)?.[1]]);
        expect(after).not.toContain(before[0]);
      },
    );
  },
);
