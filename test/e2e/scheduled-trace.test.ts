import { readFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { BIN, runProgram, type CliRun } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { useExampleServers } from '../harness/servers.js';
import { HOOK_TOKEN, startWebhook } from '../harness/webhook.js';

const skip = inject('slapdSkip');
const SECRET = 'trace-client-secret-0123456789';
const BIND_PASSWORD = 'svc-password-123';

/** JSON lines of a file, parsed. */
async function jsonLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// A cron job's environment: `env -i`, then only what the crontab line gives.
describe.skipIf(skip !== '' || process.platform === 'win32')(
  `a scheduled push that fails on a missing \${env:} secret leaves a trace (slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useExampleServers(SECRET);
    let hook: Awaited<ReturnType<typeof startWebhook>>;
    beforeAll(async () => {
      hook = await startWebhook(await tempDir());
    });
    afterAll(async () => {
      await hook.close();
    });

    /** `env -i PATH=… HOME=… VARS… adsync push --config … --quiet`, as cron runs it. */
    function cronRun(cwd: string, vars: Record<string, string>): Promise<CliRun> {
      const path = [dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter);
      const assignments = Object.entries({ PATH: path, HOME: cwd, ...vars }).map(([k, v]) => `${k}=${v}`);
      return runProgram(
        'env',
        [
          '-i',
          ...assignments,
          process.execPath,
          BIN,
          'push',
          '--config',
          join(cwd, 'adsync.yaml'),
          '--quiet',
        ],
        { cwd: '/' },
      );
    }

    it('writes its history line and its log line, fires a webhook that resolves, and reads the directory once given the variables', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, {
        ...pushConfig({ ldapUrl: servers.slapd.url, mockUrl: servers.mock.url, caFile: servers.caFile }),
        state: { dir: './state' },
        output: { dir: './out' },
        logging: { file: './logs/adsync.log' },
        notify: { webhook: '${env:ADSYNC_WEBHOOK_URL}', caFile: hook.caFile },
      });

      // Nothing given: neither the bind password nor the webhook resolves.
      const bare = await cronRun(cwd, {});
      expect(bare.code, bare.stderr).toBe(2);
      expect(bare.stderr).toContain('TEST_BIND_PASSWORD');
      let runs = await jsonLines(join(cwd, 'state', 'runs.jsonl'));
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ command: 'push', outcome: 'error', exitCode: 2, dryRun: false });
      expect(String(runs[0]?.error)).toContain('TEST_BIND_PASSWORD');
      let log = await jsonLines(join(cwd, 'logs', 'adsync.log'));
      expect(log.find((l) => l.event === 'finish')).toMatchObject({
        level: 'error',
        exitCode: 2,
        error: { code: 'CONFIG_SECRET' },
      });
      expect(hook.received).toHaveLength(0);

      // The webhook's variable given, the bind password still missing: the webhook fires.
      const hooked = await cronRun(cwd, { ADSYNC_WEBHOOK_URL: hook.url });
      expect(hooked.code, hooked.stderr).toBe(2);
      expect(hook.received).toHaveLength(1);
      expect(hook.received[0]?.body.adsync).toMatchObject({
        exitCode: 2,
        code: 'CONFIG_SECRET',
        command: 'push',
      });
      runs = await jsonLines(join(cwd, 'state', 'runs.jsonl'));
      expect(runs).toHaveLength(2);
      log = await jsonLines(join(cwd, 'logs', 'adsync.log'));
      expect(log.filter((l) => l.event === 'finish')).toHaveLength(2);
      expect(`${hooked.stderr}${JSON.stringify(log)}${JSON.stringify(runs)}`).not.toContain(HOOK_TOKEN);

      // Every variable given: the same cron line reads the directory (and stops at the first
      // push's guard, as a scheduled first push must).
      const good = await cronRun(cwd, {
        TEST_BIND_PASSWORD: BIND_PASSWORD,
        ADSYNC_CLIENT_SECRET: SECRET,
        ADSYNC_WEBHOOK_URL: hook.url,
      });
      expect(good.code, good.stderr).toBe(3);
      runs = await jsonLines(join(cwd, 'state', 'runs.jsonl'));
      expect(runs.map((r) => r.outcome)).toEqual(['error', 'error', 'guard']);
    }, 90_000);
  },
);
