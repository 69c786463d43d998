import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, isAbsolute } from 'node:path';

import type { ResolvedConfig } from './types.js';

/**
 * The files adsync reads or keeps, so that no output option (`--output`, `--report`,
 * `--log-file`) can be pointed at one: an atomic write there would replace the baseline, the
 * config or an input, and an appended log line would damage it. One home for that list.
 */

/** A file (or, for `inside`, a directory whose every file) adsync reads or keeps. */
interface OwnPath {
  path: string;
  what: string;
  /** A directory adsync owns whole: any path below it counts. */
  inside?: boolean;
}

/**
 * Every path the config makes adsync read or keep.
 * @param config the loaded config
 * @param except a path that is fine for this option (the configured log, for `--log-file`)
 */
function ownPaths(config: ResolvedConfig, except: string | undefined): OwnPath[] {
  const paths: OwnPath[] = [
    { path: config.filepath, what: 'the config file' },
    {
      path: config.stateDir,
      what: "adsync's state directory, which holds the last good push, the lock and the run history",
      inside: true,
    },
  ];
  const add = (path: string | undefined, what: string): void => {
    if (path !== undefined) paths.push({ path, what });
  };
  paths.push(...config.directory.files);
  for (const file of config.extraContacts.files) add(file, 'an extraContacts file');
  for (const file of config.secretFiles) add(file, 'a ${file:} or ${credential:} secret of the config');
  add(config.target.caFile, "the vendor's CA file");
  add(config.notify?.caFile, "the webhook's CA file");
  add(config.schedule?.statusFile, "the scheduler's status file");
  if (config.logging && config.logging.file !== except)
    add(config.logging.file, 'the log file (logging.file)');
  return paths;
}

/** The path with every link and `..` resolved, also when it (or its parents) do not exist yet. */
async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(await canonical(parent), basename(path));
  }
}

/** A file's identity on disk (device and inode), which a hard link shares. */
async function identity(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? `${info.dev}:${info.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a directory holds a file with this identity (a hard link to it, elsewhere). */
async function holdsFile(dir: string, id: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) if ((await identity(join(dir, name))) === id) return true;
  return false;
}

function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * What adsync's own file a path names, if it does: the same file after links and `..` are
 * resolved (a hard link too), or any path inside the state directory.
 * @param path the path an option names (absolute)
 * @param config the loaded config
 * @param except a path that option may name (the configured log file, for `--log-file`)
 * @returns what the file is ("the config file", "inside adsync's state directory"…), or undefined
 *   when adsync does not read or keep it
 */
export async function ownFileAt(
  path: string,
  config: ResolvedConfig,
  except?: string,
): Promise<string | undefined> {
  const target = await canonical(path);
  const targetId = await identity(path);
  for (const own of ownPaths(config, except)) {
    const real = await canonical(own.path);
    if (own.inside === true) {
      if (isWithin(target, real) || (targetId !== undefined && (await holdsFile(real, targetId)))) {
        return `inside ${own.what} (${own.path})`;
      }
      continue;
    }
    const same = target === real || (targetId !== undefined && targetId === (await identity(own.path)));
    if (same) return own.path === path ? own.what : `${own.what} (${own.path})`;
  }
  return undefined;
}

/**
 * Whether a file may take appended log lines when the config (and so the list of adsync's
 * own files) is not known: a new or empty file, or one that already holds JSON lines. A config,
 * a CSV, an LDIF file or a PEM file is none of those.
 * @param path the log file (absolute)
 * @returns why not, or undefined when appending is fine
 */
export async function notALog(path: string): Promise<string | undefined> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    return undefined;
  }
  if (!info.isFile() || info.size === 0) return undefined;
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, 0);
    return bytesRead === 1 && buffer[0] === 0x7b
      ? undefined
      : `${path} is not a JSON-lines log (it does not start with "{"); adsync appends its log only to a new file or an earlier log`;
  } finally {
    await handle.close();
  }
}
