import { open } from 'node:fs/promises';

/** Bytes read at a time. */
const CHUNK = 256 * 1024;

/**
 * The lines of a file (without their `\n`), read in chunks so memory does not grow with the
 * file: for state files and a run's own temporary files, which can hold a million lines.
 *
 * Each chunk is decoded up to its last line feed in one `toString` (a line feed is never part of
 * a multi-byte UTF-8 sequence, so no character is cut), and the unfinished line's bytes move to
 * the front of the buffer for the next read; a line longer than the buffer grows it. Measured on
 * a 100k-contact second push: a StringDecoder, string concatenation and `split` of what was left
 * took 0.32 s of reading the state; invalid bytes still become U+FFFD, as they did.
 * @param path the file
 * @param chunkSize bytes read at a time (tests make it tiny)
 */
export async function* fileLines(path: string, chunkSize = CHUNK): AsyncGenerator<string> {
  const handle = await open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(chunkSize);
    // Bytes of an unfinished line at the start of the buffer.
    let carry = 0;
    for (;;) {
      if (carry === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, carry);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, carry, buffer.length - carry, null);
      if (bytesRead === 0) break;
      const end = carry + bytesRead;
      // Only the new bytes are searched: the carried ones hold no line feed, and searching them
      // again with every read would make a long line quadratic.
      const found = buffer.subarray(carry, end).lastIndexOf(10);
      const last = found < 0 ? -1 : carry + found;
      if (last < 0) {
        carry = end;
        continue;
      }
      const lines = buffer.toString('utf8', 0, last).split('\n');
      buffer.copy(buffer, 0, last + 1, end);
      carry = end - last - 1;
      yield* lines;
    }
    if (carry > 0) yield buffer.toString('utf8', 0, carry);
  } finally {
    await handle.close();
  }
}
