import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/**
 * The lines of a file (without their `\n`), read in chunks so memory does not grow with the
 * file: for state files and a run's own temporary files, which can hold a million lines.
 * @param path the file
 */
export async function* fileLines(path: string): AsyncGenerator<string> {
  const handle = await open(path, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.allocUnsafe(256 * 1024);
    let rest = '';
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const parts = (rest + decoder.write(buffer.subarray(0, bytesRead))).split('\n');
      rest = parts.pop() ?? '';
      yield* parts;
    }
    rest += decoder.end();
    if (rest !== '') yield rest;
  } finally {
    await handle.close();
  }
}
