import { randomBytes } from 'node:crypto';
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { OutputError, describeError } from '../errors.js';
import { makeDir } from './make-dir.js';
import { fileKind } from './small-file.js';

/** Options for {@link AtomicFile.create}. */
export interface AtomicFileOptions {
  /** Permission bits of the new file (default 0o600: adsync's files hold personal data or secrets). */
  mode?: number;
  /** Create the parent directory (mode 0o700) when it is missing. Default true. */
  createDir?: boolean;
  /** How the finished file is renamed into place (tests give the platform and the OS call). */
  replace?: ReplaceOptions;
}

/** How {@link replaceFile} renames, and for how long it retries on Windows. */
export interface ReplaceOptions {
  /** The platform whose rules apply (default `process.platform`). */
  platform?: NodeJS.Platform;
  /** The operating system's rename (default `fs.promises.rename`). */
  rename?: (from: string, to: string) => Promise<void>;
  /** How long a refused rename is retried on Windows, in milliseconds (default {@link RENAME_RETRY_MS}). */
  retryMs?: number;
}

/**
 * How long a rename Windows refuses is retried. An antivirus or the search indexer opens a new
 * file for a moment after it is written; graceful-fs retries such renames too. A program that
 * keeps the file open (a spreadsheet) holds it for good, so the wait stays short.
 */
export const RENAME_RETRY_MS = 3000;

/** Errors Windows gives for a rename over a file another program has open. */
const HELD_CODES: ReadonlySet<string> = new Set(['EPERM', 'EBUSY', 'EACCES']);

const errnoOf = (error: unknown): string | undefined =>
  error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/**
 * The error for a rename Windows still refuses after the retries: over an existing file, most
 * likely held by another program (what to do about it is the hint); otherwise the file system's.
 * @param to the final name
 * @param error the last failure
 * @param retryMs how long it was retried
 */
async function refusedRename(to: string, error: unknown, retryMs: number): Promise<unknown> {
  const exists = await lstat(to).then(
    () => true,
    () => false,
  );
  if (!exists) return error;
  return new OutputError(
    `cannot replace ${to}, most likely because another program has it open: ${describeError(error)}`,
    {
      hint: `Close ${to} in the program that has it open (a spreadsheet such as Excel; an antivirus or a search indexer lets go by itself) and run again, or name another file. adsync retried for ${String(retryMs / 1000)} seconds. If nothing has it open, the file is read-only or this account may not replace it (made by another account): check its properties.`,
      cause: error,
    },
  );
}

/**
 * Rename `from` over `to`. On Windows, a rename refused with EPERM, EBUSY or EACCES is retried
 * for a short, bounded time (backing off from 10 ms to 500 ms between tries): the file is most
 * likely open in another program for a moment. If it still fails and `to` exists, the error is
 * an {@link OutputError} that names that cause; other failures are the file system's own.
 * @param from the finished temporary file
 * @param to the final name
 * @param options platform, rename and retry time (see {@link ReplaceOptions})
 */
async function replaceFile(from: string, to: string, options: ReplaceOptions = {}): Promise<void> {
  const { platform = process.platform, rename: osRename = rename, retryMs = RENAME_RETRY_MS } = options;
  const deadline = Date.now() + retryMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 500)) {
    try {
      await osRename(from, to);
      return;
    } catch (error) {
      const code = errnoOf(error);
      if (platform !== 'win32' || code === undefined || !HELD_CODES.has(code)) throw error;
      if (Date.now() + delay > deadline) throw await refusedRename(to, error, retryMs);
      await sleep(delay);
    }
  }
}

/** Random bytes in an {@link AtomicFile}'s temporary name. */
const TEMP_RANDOM_BYTES = 6;

/** An {@link AtomicFile}'s temporary name: `.<final name>.<12 hex digits>.tmp`. */
const TEMP_NAME = new RegExp(`^\\.(.+)\\.[0-9a-f]{${TEMP_RANDOM_BYTES * 2}}\\.tmp$`);

/**
 * The final name a file name is the {@link AtomicFile} temporary of, or undefined when it is not
 * one. A run killed while writing (SIGKILL, a power cut) leaves its temporary behind; this tells
 * the leftover's owner apart.
 * @param name a file name (no directory)
 */
export function atomicTarget(name: string): string | undefined {
  return TEMP_NAME.exec(name)?.[1];
}

/**
 * A file that appears under its final name only when it is complete and on disk: it is written
 * to a temporary name beside it (same directory, so the rename cannot cross file systems),
 * flushed with fsync, and renamed over the final name. A run that dies at any point leaves the
 * old file or the new one, never a mix. The temporary name is unpredictable and created with
 * O_EXCL, so a name planted in advance (a symlink to another file) is never followed.
 *
 * Errors are the file system's own: callers wrap them in the error their layer owns (or use
 * {@link writeAtomic}, which makes them output errors). The exception is a final name Windows
 * will not let go of (see {@link replaceFile}): an {@link OutputError} that names the likely
 * cause, which callers pass on as it is.
 */
export class AtomicFile {
  private closed = false;

  private constructor(
    /** The final path. */
    public readonly path: string,
    /** The temporary path, renamed to {@link AtomicFile.path} by {@link AtomicFile.commit}. */
    public readonly tmp: string,
    private readonly handle: FileHandle,
    private readonly replace: ReplaceOptions,
  ) {}

  /**
   * Create the temporary file.
   * @param path the final path
   * @param options permissions and directory creation
   */
  public static async create(path: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
    if (options.createDir !== false) makeDir(dirname(path));
    const tmp = join(
      dirname(path),
      `.${basename(path)}.${randomBytes(TEMP_RANDOM_BYTES).toString('hex')}.tmp`,
    );
    return new AtomicFile(path, tmp, await open(tmp, 'wx', options.mode ?? 0o600), options.replace ?? {});
  }

  /**
   * Append to the temporary file.
   * @param data text (UTF-8) or bytes
   */
  public async write(data: string | Uint8Array): Promise<void> {
    // writeFile on a handle appends at the current position and, unlike write(), never stops
    // after a partial write.
    await this.handle.writeFile(data);
  }

  /** Flush to disk, close, and rename into place. On failure the temporary file is removed. */
  public async commit(): Promise<void> {
    try {
      await this.handle.sync();
      this.closed = true;
      await this.handle.close();
      await replaceFile(this.tmp, this.path, this.replace);
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /** Give up: close and remove the temporary file; the final name is untouched (never throws). */
  public async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await rm(this.tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * Write a whole file atomically and durably (see {@link AtomicFile}).
 * @param path the final path
 * @param data the content
 * @param options permissions and directory creation
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicFileOptions = {},
): Promise<void> {
  const file = await AtomicFile.create(path, options);
  try {
    await file.write(data);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}

/**
 * Write a whole file atomically and durably into an existing directory; a failure is an
 * {@link OutputError} naming the file (reports, the scheduler's files).
 * @param path final path
 * @param text content
 */
export async function writeAtomic(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, { createDir: false });
  } catch (error) {
    if (error instanceof OutputError) throw error;
    throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Why adsync must not write to a path a person named (`--output`, `--report`), if it must not:
 * an atomic write replaces whatever has that name, so only a new name or an existing regular
 * file is acceptable. A device (`/dev/full`), a FIFO, a socket, a directory or a symbolic link
 * would be replaced by a file (as root, a device node disappears).
 * @param path the file
 * @returns the reason, or undefined when writing there is fine
 */
export async function notReplaceable(path: string): Promise<string | undefined> {
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : `cannot inspect ${path}: ${describeError(error)}`;
  }
  if (info.isFile()) return undefined;
  return `${path} is ${fileKind(info)}; adsync writes only a new file or over an existing regular file`;
}
