import { spawnSync } from 'node:child_process';

/** What provides systemd-analyze (it runs without systemd as PID 1). */
export const SYSTEMD_ANALYZE = 'Debian: apt-get install systemd';

/**
 * Whether a system tool some tests need runs here (`command args` exits 0). Without it those
 * tests are skipped on a developer's machine, but on CI (CI set) a missing tool is a failure,
 * not a silent skip: .ci/run installs it, as the directory suites' slapd and Samba.
 * @param command the tool, e.g. systemd-analyze
 * @param args arguments that make it answer and exit, e.g. --version
 * @param install what provides it, for the message (e.g. Debian: apt-get install systemd)
 * @throws {Error} on CI when the tool is missing
 */
export function systemTool(command: string, args: string[], install: string): boolean {
  const run = spawnSync(command, args, { stdio: 'ignore' });
  if (!run.error && run.status === 0) return true;
  if (process.env.CI)
    throw new Error(`CI must run the tests that need ${command}, but it is missing: ${install}`);
  return false;
}

/**
 * npm's programs as this platform starts them: `npm.cmd`/`npx.cmd` on Windows, which Node runs
 * only through a shell (since the fix for CVE-2024-27980); the plain names elsewhere.
 * @param name npm or npx
 */
export function npmTool(name: 'npm' | 'npx'): { command: string; shell: boolean } {
  return process.platform === 'win32'
    ? { command: `${name}.cmd`, shell: true }
    : { command: name, shell: false };
}
