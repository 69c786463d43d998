import { describe, expect, it } from 'vitest';

import { runAdsync } from '../harness/cli.js';
import { tempDir } from '../harness/files.js';

describe('options that would be misread are refused', () => {
  it('--timeout without a unit names the units', async () => {
    const cwd = await tempDir();
    const run = await runAdsync(['push', '--dry-run', '--timeout', '5'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('give a unit: 5m (minutes), 5s (seconds) or 5h');
  });

  it('history --limit 0 is refused, not read as every run', async () => {
    const cwd = await tempDir();
    const run = await runAdsync(['history', '--limit', '0'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('expected 1 or more');
  });
});
