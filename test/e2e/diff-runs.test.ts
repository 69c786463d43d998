import { describe, expect, inject, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { useExampleServers } from '../harness/servers.js';

const skip = inject('slapdSkip');
const SECRET = 'diff-client-secret-0123456789';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };

interface DiffReport {
  runs: { runId?: string; csv: string; dryRun?: boolean }[];
  changed: unknown[];
}

describe.skipIf(skip !== '')(
  `diff compares the last two pushes and names runs by id (slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useExampleServers(SECRET);

    it('a dry run after a push does not hide what the push changed; history shows ids and CSVs', async () => {
      const cwd = await tempDir();
      const base = pushConfig({
        ldapUrl: servers.slapd.url,
        mockUrl: servers.mock.url,
        caFile: servers.caFile,
      });
      await writeConfig(cwd, { ...base, output: { dir: './out' }, state: { dir: './state' } });
      const adsync = (args: string[]): Promise<CliRun> => runAdsync(args, { cwd, env: ENV });
      const idOf = (run: CliRun): string => (JSON.parse(run.stdout) as { runId: string }).runId;

      const first = await adsync(['push', '--first-push', '--json']);
      expect(first.code, first.stderr).toBe(0);
      const tooFew = await adsync(['diff']);
      expect(tooFew.code).toBe(2);
      expect(tooFew.stderr).toContain('fewer than two pushes');

      // Every row's title changes: the second push updates them.
      await writeConfig(cwd, {
        ...base,
        output: { dir: './out' },
        state: { dir: './state' },
        columns: { 'Business Title': 'departmentNumber' },
      });
      const second = await adsync(['push', '--json']);
      expect(second.code, second.stderr).toBe(0);
      const dry = await adsync(['push', '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);

      const latest = await adsync(['diff', '--json']);
      expect(latest.code, latest.stderr).toBe(0);
      const report = JSON.parse(latest.stdout) as DiffReport;
      expect(report.runs.map((r) => r.runId)).toEqual([idOf(first), idOf(second)]);
      expect(report.changed.length).toBeGreaterThan(0);
      const shown = await adsync(['diff']);
      expect(shown.stderr).toContain(`run ${idOf(first)} `);
      expect(shown.stderr).toContain(`→ run ${idOf(second)} `);

      // Named by id: the second push against the dry run after it.
      const named = await adsync(['diff', idOf(second), idOf(dry), '--json']);
      expect(named.code, named.stderr).toBe(0);
      const byId = JSON.parse(named.stdout) as DiffReport;
      expect(byId.runs.map((r) => r.dryRun)).toEqual([false, true]);
      expect(byId.changed).toHaveLength(0);

      const history = await adsync(['history']);
      expect(history.code, history.stderr).toBe(0);
      for (const run of [first, second, dry]) {
        const csv = (JSON.parse(run.stdout) as { csvPath: string }).csvPath;
        expect(history.stdout).toMatch(new RegExp(`${idOf(run)} .*${csv.replaceAll(/[.\\/]/g, '\\$&')}`));
      }
    }, 120_000);
  },
);
