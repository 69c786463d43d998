import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Size caps of the small files adsync reads whole. */
export const FILE_LIMITS = {
  /** A `${file:}` secret. */
  secret: 64 * 1024,
  /** A PEM bundle of CA certificates. */
  ca: 4 * 1024 * 1024,
  /** A config file. */
  config: 4 * 1024 * 1024,
  /** An `extraContacts:` CSV (contacts kept by hand: tens of thousands of rows at most). */
  contacts: 10 * 1024 * 1024,
  /** A CSV the vendor received, adopted as the baseline (a million contacts fit). */
  adopt: 512 * 1024 * 1024,
} as const;

/**
 * What a path is, for a message refusing it: "a directory", "a FIFO (named pipe)", "a device"…
 * @param info its (l)stat
 */
export function fileKind(info: Stats): string {
  if (info.isFile()) return 'a regular file';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** A file adsync will not read whole: not a regular file, or too big. */
export class FileRefusedError extends Error {
  /** Like a system error's, for hints and messages. */
  public readonly code = 'EFILEREFUSED';
}

/**
 * Read a small file whole, only if it is a regular file of at most `maxBytes`: `/dev/zero`, a
 * FIFO with no writer, a socket or a directory would otherwise grow memory without bound or
 * block the run forever. The file is opened without blocking (a FIFO's open would wait for a
 * writer), checked, then read.
 * @param path the file
 * @param maxBytes the largest size accepted
 * @throws {FileRefusedError} saying why it is refused, or the system's error (ENOENT, EACCES…)
 */
export function readSmallFile(path: string, maxBytes: number): Buffer {
  // O_NONBLOCK does not exist on Windows, where there are no FIFOs to open by path.
  const fd = openSync(path, constants.O_RDONLY | (process.platform === 'win32' ? 0 : constants.O_NONBLOCK));
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new FileRefusedError(`${path} is ${fileKind(info)}, not a regular file`);
    if (info.size > maxBytes) {
      throw new FileRefusedError(`${path} is ${info.size} bytes; at most ${maxBytes} are read`);
    }
    // One byte more than allowed, in case it grew since fstat.
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) throw new FileRefusedError(`${path} is over ${maxBytes} bytes`);
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
