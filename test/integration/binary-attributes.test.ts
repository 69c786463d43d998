import { describe, expect, inject, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { BIND_ENV, exampleConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';

const skip = inject('slapdSkip');

/**
 * Run `adsync <command>` on the example config (slapd) with these column overrides.
 * @param command check or push --dry-run
 * @param columns the receptionist columns mapped
 */
async function withColumns(command: string[], columns: Record<string, unknown>): Promise<CliRun> {
  const cwd = await tempDir();
  await writeConfig(cwd, exampleConfig({ columns: { Identification: 'employeeNumber', ...columns } }));
  return runAdsync(command, { cwd, env: BIND_ENV });
}

describe('binary attributes are refused as text columns, by name at load', () => {
  it('mS-DS-ConsistencyGuid, audio, userPKCS12 and userCertificate: exit 2 naming the column and the format', async () => {
    const run = await withColumns(['check'], {
      Identification: 'mS-DS-ConsistencyGuid',
      'Business Title': 'audio',
      Department: '{userPKCS12} {userCertificate}',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('columns.Identification');
    expect(run.stderr).toContain('mS-DS-ConsistencyGuid is binary (a GUID); read it with format: guid');
    expect(run.stderr).toMatch(/columns\.Business Title.*audio is binary .* cannot be a column/);
    expect(run.stderr).toContain('userPKCS12 is binary');
    expect(run.stderr).toContain('userCertificate is binary');
  });

  it.skipIf(skip !== '')(
    'mS-DS-ConsistencyGuid with format: guid is accepted (check against slapd, exit 0)',
    async () => {
      const cwd = await tempDir();
      await writeConfig(
        cwd,
        exampleConfig({ columns: { Identification: { from: 'mS-DS-ConsistencyGuid', format: 'guid' } } }),
      );
      const run = await runAdsync(['check'], { cwd, env: BIND_ENV });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toContain('is binary');
    },
  );
});

describe.skipIf(skip !== '')(
  `binary attributes are refused as text columns, by the schema slapd publishes${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const columns = { 'Business Title': 'msExchSafeSendersHash', Department: 'deltaRevocationList' };

    it('push: an Octet String and a Certificate List attribute the fixed list does not know: exit 2 naming each column', async () => {
      const run = await withColumns(['push', '--dry-run'], columns);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`the schema of ${inject('ldapUrl')} declares mapped attributes binary`);
      expect(run.stderr).toContain(
        'columns.Business Title: msExchSafeSendersHash is binary (the schema gives it the Octet String syntax, 1.3.6.1.4.1.1466.115.121.1.40)',
      );
      expect(run.stderr).toContain(
        'columns.Department: deltaRevocationList is binary (the schema gives it the Certificate List syntax, 1.3.6.1.4.1.1466.115.121.1.9)',
      );
      expect(run.stderr).not.toContain('bug in adsync');
    });

    it('check says the same (exit 2); text attributes pass', async () => {
      const run = await withColumns(['check'], columns);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('columns.Business Title: msExchSafeSendersHash is binary');
      const text = await withColumns(['check'], {
        'Business Title': 'title',
        Department: 'departmentNumber',
      });
      expect(text.code, text.stderr).toBe(0);
    });
  },
);
