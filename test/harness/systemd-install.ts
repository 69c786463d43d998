import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { runAdsync, type CliRun } from './cli.js';
import { tempDir, writeConfig } from './files.js';

/** What `adsync schedule install --platform systemd` did in a scratch home. */
export interface SystemdInstall {
  /** The config's folder (the run's working directory). */
  cwd: string;
  /** The scratch HOME the run had. */
  home: string;
  /** The install run. */
  run: CliRun;
  /** The user unit folder it wrote into (~/.config/systemd/user of the scratch home). */
  units: string;
  /** The service unit's text ('' when it was not written). */
  service: string;
}

/**
 * Run `schedule install --platform systemd` for a config, with HOME in a temporary folder so the
 * machine's own user units are never touched.
 * @param config the config to write (YAML text or an object)
 */
export async function systemdInstall(config: string | object): Promise<SystemdInstall> {
  const cwd = await tempDir();
  await writeConfig(cwd, config);
  const home = join(cwd, 'home');
  const run = await runAdsync(['schedule', 'install', '--platform', 'systemd'], { cwd, env: { HOME: home } });
  const units = join(home, '.config', 'systemd', 'user');
  const service = await readFile(join(units, 'adsync.service'), 'utf8').catch(() => '');
  return { cwd, home, run, units, service };
}
