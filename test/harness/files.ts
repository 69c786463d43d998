import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { stringify } from 'yaml';

/** Directories made by {@link tempDir} in this test file, removed after its last test. */
const created: string[] = [];

/**
 * A fresh temporary directory, removed when the test file ends (test/harness/cleanup.ts), so a
 * test run leaves nothing in the temporary directory whatever its own clean-up does.
 * @param prefix name prefix
 */
export async function tempDir(prefix = 'adsync-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * Remove a directory tree. On Windows a child that has just exited may still hold its working
 * directory for a moment (seen under Wine as EBUSY on rmdir), so Node's own retry for EBUSY,
 * ENOTEMPTY and EPERM is used rather than failing the test file's clean-up.
 * @param dir directory to remove; a missing one is fine
 */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

/** Remove every directory {@link tempDir} made so far (run after each test file). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map(removeDir));
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

/**
 * Everything under a directory as one text (every file, recursively): what a leak test greps.
 * @param dir the directory
 */
export async function allFilesText(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n');
}
