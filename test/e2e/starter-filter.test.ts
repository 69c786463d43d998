import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { BIND_ENV, exampleConfig } from '../harness/example-config.js';
import { runAdsync as adsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';

const skip = inject('slapdSkip');
const SMS_ONLY = 'uid=smsonly,ou=hq,ou=people,dc=example,dc=com';

describe.skipIf(skip !== '')(
  `directory.filter and SMS-only contacts (slapd)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    it("the starter's filter keeps a contact who has only an SMS number", async () => {
      const cwd = await tempDir();
      expect((await adsync(['init', '--kind', 'ldap'], { cwd })).code).toBe(0);
      const starter = await readFile(join(cwd, 'adsync.yaml'), 'utf8');
      const filter = /^\s+filter: "(?<f>[^"]+)"$/m.exec(starter)?.groups?.f;
      expect(filter).toBeDefined();
      const base = exampleConfig();
      await writeConfig(cwd, { ...base, directory: { ...base.directory, filter } });
      const run = await adsync(['push', '--dry-run'], { cwd, env: BIND_ENV });
      expect(run.code, run.stderr).toBe(0);
      expect(await readFile(run.stdout.trim(), 'utf8')).toContain('Omar,Smsonly,,+442079460958,');
    });

    it('check counts the people directory.filter leaves out who would be valid rows', async () => {
      const cwd = await tempDir();
      const base = exampleConfig();
      await writeConfig(cwd, { ...base, directory: { ...base.directory, filter: '(mail=*)' } });
      const run = await adsync(['check'], { cwd, env: BIND_ENV });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(
        'directory.filter (mail=*) leaves out 1 person of hq who would be valid rows',
      );
      expect(run.stderr).toContain(SMS_ONLY);
      const json = await adsync(['check', '--json'], { cwd, env: BIND_ENV });
      expect(JSON.stringify(JSON.parse(json.stdout))).toContain('"droppedByFilter":1');
      // Without a filter there is nothing to count.
      await writeConfig(cwd, base);
      expect((await adsync(['check'], { cwd, env: BIND_ENV })).stderr).not.toContain('leaves out');
    });
  },
);

describe.skipIf(skip !== '')(`check's preview width (slapd)${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('COLUMNS sets the preview width when stderr is not a terminal', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, exampleConfig());
    const narrow = await adsync(['check'], { cwd, env: { ...BIND_ENV, COLUMNS: '80' } });
    expect(narrow.stderr).not.toContain('Head of "Quality", Europe');
    const wide = await adsync(['check'], { cwd, env: { ...BIND_ENV, COLUMNS: '300' } });
    expect(wide.code, wide.stderr).toBe(0);
    expect(wide.stderr).toContain('Head of "Quality", Europe');
  });
});
