import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { exampleConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';

/** The file the harness loads into slapd: read as an LDIF export, no server needed. */
const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const MB = 1024 * 1024;

/**
 * A dry run over the example export with one more person in HQ, whose `description` (not a
 * column: only the reading is tested) is `value`.
 * @param value the description, as written after "description:" (continuations included)
 */
async function dryRunWith(value: string): Promise<{ run: CliRun; file: string }> {
  const cwd = await tempDir();
  const file = join(cwd, 'export.ldif');
  const person = [
    'dn: uid=long,ou=hq,ou=people,dc=example,dc=com',
    'objectClass: inetOrgPerson',
    'uid: long',
    'cn: Long Value',
    'sn: Value',
    `description: ${value}`,
    'mail: long@example.com',
    '',
  ].join('\n');
  await writeFile(file, `${await readFile(EXAMPLE_LDIF, 'utf8')}\n${person}\n`);
  const base = exampleConfig();
  await writeConfig(cwd, { ...base, directory: { kind: 'ldif', file, baseDN: base.directory.baseDN } });
  return { run: await runAdsync(['push', '--dry-run'], { cwd }), file };
}

/** A value of `bytes` folded into 76-column continuation lines, as ldapsearch writes it. */
const folded = (bytes: number): string => 'x'.repeat(bytes).replace(/(.{75})(?=.)/g, '$1\n ');

describe('LDIF values are bounded (real files)', () => {
  it('an 11 MB value on one line is refused naming the file, the line and the attribute (exit 1)', async () => {
    const { run, file } = await dryRunWith('x'.repeat(11 * MB));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: the value of description is over 10 MB`,
      ),
    );
    expect(run.stderr).toContain('Export without this attribute');
    expect(run.stderr).not.toContain('bug in adsync');
  });

  it('an 11 MB value in continuation lines is refused at the line it starts on', async () => {
    const { run } = await dryRunWith(folded(11 * MB));
    expect(run.code).toBe(1);
    // The person starts after the example's lines; the description is its sixth line.
    const lines = (await readFile(EXAMPLE_LDIF, 'utf8')).split('\n').length;
    expect(run.stderr).toContain(
      `:${lines + 6}: the value of description is over 10 MB (continuation lines included)`,
    );
  });

  it('a 9 MB value, on one line or folded, is still read', async () => {
    for (const value of ['x'.repeat(9 * MB), folded(9 * MB)]) {
      const { run } = await dryRunWith(value);
      expect(run.stderr).not.toContain('over 10 MB');
      expect(run.code).toBe(0);
    }
  });
});
