// The quick start's package install (scripts/quickstart-apt.sh, issue 27): apt-get waits for the
// dpkg lock, and the distribution's slapd, which the slapd package enables and starts, is left
// neither running nor enabled when it was not before. apt-get and systemctl are stand-ins that
// act as Debian's do (the package's install enables slapd and starts it unless policy-rc.d
// refuses with 101) and keep the service's state in files; the script under test is the real one.
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { runProgram } from '../harness/cli.js';
import { tempDir } from '../harness/files.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const APT_GET = `#!/bin/sh
echo "apt-get $*" >>"$STUB/log"
case " $* " in *" install "*)
  touch "$STUB/enabled"
  if [ -x "$ADSYNC_POLICY_RC_D" ] && { "$ADSYNC_POLICY_RC_D" slapd start; [ $? -eq 101 ]; }; then
    echo "start refused by policy-rc.d" >>"$STUB/log"
  else
    touch "$STUB/active"
  fi ;;
esac
`;
const SYSTEMCTL = `#!/bin/sh
echo "systemctl $*" >>"$STUB/log"
case "$1" in
  is-active) test -e "$STUB/active" ;;
  is-enabled) test -e "$STUB/enabled" ;;
  stop) rm -f "$STUB/active" ;;
  disable) rm -f "$STUB/enabled" ;;
esac
`;

/** Whether a file exists. */
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Run quickstart_apt_install with the stand-ins, slapd's service starting in the given state.
 * @param before whether slapd is running and enabled before the install
 * @param policy text of an existing policy-rc.d, if the machine has one
 */
async function install(before: { active: boolean; enabled: boolean }, policy?: string) {
  const stub = await tempDir('adsync-apt-');
  const bin = join(stub, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'apt-get'), APT_GET, { mode: 0o755 });
  await writeFile(join(bin, 'systemctl'), SYSTEMCTL, { mode: 0o755 });
  if (before.active) await writeFile(join(stub, 'active'), '');
  if (before.enabled) await writeFile(join(stub, 'enabled'), '');
  const policyFile = join(stub, 'policy-rc.d');
  if (policy !== undefined) await writeFile(policyFile, policy, { mode: 0o755 });
  const run = await runProgram(
    'bash',
    ['-c', 'set -euo pipefail; source scripts/quickstart-apt.sh; quickstart_apt_install'],
    { cwd: ROOT, env: { PATH: `${bin}:/usr/bin:/bin`, STUB: stub, ADSYNC_POLICY_RC_D: policyFile } },
  );
  return {
    run,
    log: await readFile(join(stub, 'log'), 'utf8'),
    active: await exists(join(stub, 'active')),
    enabled: await exists(join(stub, 'enabled')),
    policy: (await exists(policyFile)) ? await readFile(policyFile, 'utf8') : undefined,
  };
}

describe.skipIf(process.platform === 'win32')('the quick start installs slapd with apt-get', () => {
  it('waits for the package lock in both apt-get calls', async () => {
    const { run, log } = await install({ active: false, enabled: false });
    expect(run.code, run.stderr).toBe(0);
    const calls = log.split('\n').filter((l) => l.startsWith('apt-get '));
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call).toMatch(/^apt-get -o DPkg::Lock::Timeout=\d+ /);
    // quickstart.sh installs through this function, not apt-get of its own.
    const script = await readFile(join(ROOT, 'scripts', 'quickstart.sh'), 'utf8');
    expect(script).toContain('quickstart_apt_install');
    expect(script).not.toMatch(/^\s*(DEBIAN_FRONTEND=\S+ )?apt-get /m);
  });

  it('leaves no slapd running or enabled when there was none, and removes its policy-rc.d', async () => {
    const after = await install({ active: false, enabled: false });
    expect(after.run.code, after.run.stderr).toBe(0);
    expect(after.log).toContain('start refused by policy-rc.d');
    expect(after.active).toBe(false);
    expect(after.enabled).toBe(false);
    expect(after.policy).toBeUndefined();
    expect(after.run.stderr).toContain("disabled the distribution's slapd service");
  });

  it("keeps a slapd that was running and enabled before, and the machine's own policy-rc.d", async () => {
    const own = '#!/bin/sh\nexit 0\n';
    const after = await install({ active: true, enabled: true }, own);
    expect(after.run.code, after.run.stderr).toBe(0);
    expect(after.active).toBe(true);
    expect(after.enabled).toBe(true);
    expect(after.policy).toBe(own);
    expect(after.log).not.toMatch(/systemctl (stop|disable)/);
  });

  it('stops a slapd the install started despite a permissive policy-rc.d', async () => {
    const after = await install({ active: false, enabled: false }, '#!/bin/sh\nexit 0\n');
    expect(after.run.code, after.run.stderr).toBe(0);
    expect(after.active).toBe(false);
    expect(after.enabled).toBe(false);
    expect(after.run.stderr).toContain("stopped the distribution's slapd service");
  });
});
