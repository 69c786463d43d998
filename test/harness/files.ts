import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { stringify } from 'yaml';

/** A fresh temporary directory. */
export async function tempDir(prefix = 'adsync-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Write a config file (an object is written as YAML).
 * @param dir directory
 * @param config YAML text or an object
 * @param name file name
 */
export async function writeConfig(
  dir: string,
  config: string | object,
  name = 'adsync.yaml',
): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof config === 'string' ? config : stringify(config));
  return path;
}
