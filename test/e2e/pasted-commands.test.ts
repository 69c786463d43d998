import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BIN, runAdsync, runProgram } from '../harness/cli.js';
import { tempDir } from '../harness/files.js';

/**
 * The commands adsync prints for pasting ("Next: adsync push --dry-run --config …", the demo's
 * step lines, init's next step) are quoted for the shell: pasted into sh from a directory whose
 * name has a space and a quote, they run. sh is what the test can run here; the Windows form is
 * unit-tested (test/unit/shell-quote.test.ts).
 */
describe.skipIf(process.platform === 'win32')(
  'commands printed for pasting, in a directory with a space',
  () => {
    /** A directory on PATH with an `adsync` that runs this build, as an installed one would. */
    const installed = async (): Promise<string> => {
      const bin = join(await tempDir('adsync-bin-'), 'bin');
      await mkdir(bin);
      const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
      await writeFile(join(bin, 'adsync'), `#!/bin/sh\nexec ${q(process.execPath)} ${q(BIN)} "$@"\n`);
      await chmod(join(bin, 'adsync'), 0o755);
      return bin;
    };
    /** Run a printed command line in sh, as a paste would. */
    const paste = async (line: string, cwd: string): Promise<{ code: number | null; stderr: string }> => {
      const bin = await installed();
      return runProgram('sh', ['-c', line], {
        cwd,
        env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: cwd },
      });
    };

    it("the demo's step lines and its Next: lines quote the config's path, and run when pasted", async () => {
      const cwd = await tempDir();
      const run = await runAdsync(['demo', '--dir', "Bob's demo"], { cwd });
      expect(run.code).toBe(0);
      expect(run.stderr).toContain("$ adsync check --config 'Bob'\\''s demo/adsync.yaml'");
      const next = run.stderr
        .split('\n')
        .map((line) => line.trim())
        .find((line) => line.startsWith('adsync push --dry-run'));
      expect(next).toMatch(/^adsync push --dry-run --config 'Bob'\\''s demo\/adsync\.yaml'/);
      const command = next?.split(/ {2,}/)[0] ?? '';
      const pasted = await paste(command, cwd);
      expect(pasted.stderr).toContain('Plan:');
      expect(pasted.code).toBe(0);
    });

    it("init's next step names a file with a space quoted, and the pasted command reads that file", async () => {
      const cwd = await tempDir();
      await mkdir(join(cwd, 'my config'));
      const run = await runAdsync(['init', '--kind', 'ldap', '--file', 'my config/adsync.yaml'], { cwd });
      expect(run.code).toBe(0);
      const next = /run `([^`]+)`/.exec(run.stderr)?.[1] ?? '';
      expect(next).toBe("adsync check --config 'my config/adsync.yaml'");
      // The starter needs secrets this test does not set: check reads that file and asks for them.
      const pasted = await paste(next, cwd);
      expect(pasted.stderr).toContain(`${join(cwd, 'my config', 'adsync.yaml')}: a secret reference`);
      expect(pasted.stderr).not.toContain('config file not found');
    });
  },
);
