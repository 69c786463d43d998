import { describe, expect, it } from 'vitest';

import { runAdsync } from '../harness/cli.js';
import { tempDir } from '../harness/files.js';

describe('--json on a usage error', () => {
  it('prints the report envelope with status error, exit code 2 and the error', async () => {
    const cwd = await tempDir();
    const run = await runAdsync(['push', '--bogus', '--json'], { cwd });
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ status: 'error', exitCode: 2, error: { code: 'USAGE' } });
    expect(JSON.stringify(report.error)).toContain('--bogus');
  });

  it('prints nothing on stdout without --json', async () => {
    const cwd = await tempDir();
    const run = await runAdsync(['push', '--bogus'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });
});
