import { createHash, randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** The CSV to upload: a file on disk with the SHA-256 and size it was planned with. */
export interface UploadFile {
  /** File name sent to the vendor. */
  name: string;
  /** Where the file is. */
  path: string;
  /** SHA-256 (hex) of the planned bytes. */
  sha256: string;
  /** Size of the planned bytes. */
  size: number;
}

/** Bytes read from the CSV per chunk of the request body. */
const UPLOAD_CHUNK = 256 * 1024;

/**
 * The file's bytes for one attempt, read from the handle opened once for the whole upload (so a
 * file replaced or pruned meanwhile does not matter), hashed on the way. The last chunk is held
 * back until the hash and size are checked: bytes that differ from the planned ones never make
 * a complete request.
 */
async function* plannedBytes(
  handle: FileHandle,
  file: { sha256: string; size: number },
  changed: () => void,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let position = 0;
  let held: Uint8Array | undefined;
  for (;;) {
    const buffer = Buffer.allocUnsafe(UPLOAD_CHUNK);
    const { bytesRead } = await handle.read(buffer, 0, UPLOAD_CHUNK, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const chunk = buffer.subarray(0, bytesRead);
    hash.update(chunk);
    if (held) yield held;
    held = chunk;
  }
  if (position !== file.size || hash.digest('hex') !== file.sha256) {
    changed();
    throw new Error('the CSV on disk is not the planned one');
  }
  if (held) yield held;
}

/** A multipart/form-data body around a streamed file, with its length known in advance. */
function multipartAround(
  field: string,
  filename: string,
  size: number,
  content: () => AsyncIterable<Uint8Array>,
): { contentType: string; length: number; body: () => AsyncIterable<Uint8Array> } {
  const boundary = `----adsync${randomBytes(16).toString('hex')}`;
  // Escaped the way undici's FormData escapes names (WHATWG multipart/form-data encoding).
  const escape = (text: string): string =>
    text.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${escape(field)}"; filename="${escape(filename)}"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.length + size + tail.length,
    body: async function* () {
      yield head;
      yield* content();
      yield tail;
    },
  };
}

/**
 * The request body of one attempt, streamed from the planned file: multipart/form-data (the
 * file under `fileField`, its name, text/csv) or a raw text/csv body, with its headers.
 * @param handle the file, opened once for the whole upload
 * @param file the planned file
 * @param options the body's form and what to do when the bytes are not the planned ones
 * @param options.format multipart or raw
 * @param options.fileField the multipart field that carries the file
 * @param options.changed called when the bytes on disk are not the planned ones (before the end)
 */
export function uploadBody(
  handle: FileHandle,
  file: UploadFile,
  options: { format: 'multipart' | 'raw'; fileField: string; changed: () => void },
): { headers: Record<string, string>; body: Readable } {
  const content = (): AsyncIterable<Uint8Array> => plannedBytes(handle, file, options.changed);
  if (options.format === 'multipart') {
    const form = multipartAround(options.fileField, file.name, file.size, content);
    return {
      headers: { 'content-type': form.contentType, 'content-length': String(form.length) },
      body: Readable.from(form.body(), { objectMode: false }),
    };
  }
  return {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-length': String(file.size) },
    body: Readable.from(content(), { objectMode: false }),
  };
}
