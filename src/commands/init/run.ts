import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

import { starterConfig, type StarterOptions } from '../../config/starter.js';
import { ConfigError, OutputError, describeError } from '../../errors.js';
import { makeDir } from '../../io/make-dir.js';
import { bundledFilePath, isSingleExecutable } from '../../runtime/assets.js';

/** Options for {@link init}. */
export interface InitOptions extends StarterOptions {
  /** Where to write (default ./adsync.yaml). */
  path: string;
  /** Directory a relative path is resolved against. */
  cwd: string;
}

/** What {@link init} wrote. */
export interface InitResult {
  /** The config file, absolute. */
  path: string;
  /** The first folder created for it (`--file` into a folder that did not exist), if any. */
  createdFolder?: string;
}

/**
 * Write a starter config. Never overwrites: an existing file is an error (exit 2). A missing
 * folder is created, private to this account (mode 700 on POSIX), as the config and the secrets
 * beside it should be.
 * @param options kind, profile and path
 * @returns the path written, and the folder created for it
 */
export async function init(options: InitOptions): Promise<InitResult> {
  const path = resolve(options.cwd, options.path);
  let createdFolder: string | undefined;
  try {
    // Not fs.mkdir's recursive answer: on Windows it names the folder as \\?\C:\….
    createdFolder = makeDir(dirname(path));
  } catch (error) {
    throw new OutputError(`cannot create the folder ${dirname(path)} for ${path}: ${describeError(error)}`, {
      hint: 'Create the folder yourself (or choose another with `adsync init --file FOLDER/adsync.yaml`), then run init again.',
      cause: error,
    });
  }
  try {
    // 'wx' fails if the file exists, with no window between a check and the write.
    await writeFile(path, starterConfig(options, process.platform, schemaReference(dirname(path))), {
      flag: 'wx',
      mode: 0o600,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConfigError('CONFIG_EXISTS', `${path} already exists; not overwriting it`, {
        hint: 'Edit the existing file, move it away, or write elsewhere with `adsync init --file other.yaml`.',
      });
    }
    throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
  }
  return createdFolder === undefined ? { path } : { path, createdFolder };
}

/**
 * Where an editor beside the config finds this adsync's JSON Schema: the schema file of the
 * installation that runs (a git clone's schema/, an npm install's package), relative to the
 * config's folder when below it, else as a file: URL. The single executable has no schema file
 * on disk to point at: none.
 * @param folder the config's folder
 */
export function schemaReference(folder: string): string | undefined {
  if (isSingleExecutable()) return undefined;
  let schema: string;
  try {
    schema = bundledFilePath('schema/adsync.schema.json');
  } catch {
    return undefined;
  }
  const rel = relative(folder, schema);
  // On another Windows drive there is no relative path: relative() answers the absolute one.
  return rel.startsWith('..') || isAbsolute(rel) || resolve(folder, rel) !== schema
    ? pathToFileURL(schema).href
    : `./${rel.split(sep).join('/')}`;
}
