import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { starterConfig, type StarterOptions } from '../../config/starter.js';
import { ConfigError, OutputError, describeError } from '../../errors.js';

/** Options for {@link init}. */
export interface InitOptions extends StarterOptions {
  /** Where to write (default ./adsync.yaml). */
  path: string;
  /** Directory a relative path is resolved against. */
  cwd: string;
}

/**
 * Write a starter config. Never overwrites: an existing file is an error (exit 2).
 * @param options kind, profile and path
 * @returns the path written
 */
export async function init(options: InitOptions): Promise<{ path: string }> {
  const path = resolve(options.cwd, options.path);
  try {
    // 'wx' fails if the file exists, with no window between a check and the write.
    await writeFile(path, starterConfig(options), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConfigError('CONFIG_EXISTS', `${path} already exists; not overwriting it`, {
        hint: 'Edit the existing file, move it away, or write elsewhere with `adsync init --file other.yaml`.',
      });
    }
    throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
  }
  return { path };
}
