import { pipeline, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

import type { Dispatcher } from 'undici';

/**
 * A response body read within a byte cap, decoded first when the server sent it with a
 * Content-Encoding anyway (adsync asks for `identity`): gzip, deflate and br. The cap applies to
 * the decoded bytes too, so a small compressed answer that inflates to gigabytes stops at it.
 */

/** The header every request sends: an answer adsync reads must come unencoded. */
export const ACCEPT_IDENTITY = { 'accept-encoding': 'identity' } as const;

const DECODERS: Readonly<Record<string, (() => Transform) | undefined>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** A body as read. */
export interface CappedBody {
  /** The (decoded) bytes, at most the cap. */
  data: Buffer;
  /** Whether there was more than the cap: only the cap was read. */
  truncated: boolean;
  /** The Content-Encoding as sent, when not identity (e.g. "gzip", "br", "zstd"). */
  encoding: string | undefined;
  /** Why the body could not be decoded (an unknown encoding, corrupt data); undefined when it was. */
  undecodable: string | undefined;
}

/**
 * Read at most `cap` bytes of a stream; leaving the loop early destroys it (the rest is never read).
 * @param source the bytes
 * @param cap the most kept
 */
async function readCapped(
  source: AsyncIterable<Buffer>,
  cap: number,
): Promise<{ data: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of source) {
    const room = cap - bytes;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      return { data: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(chunk);
    bytes += chunk.length;
  }
  return { data: Buffer.concat(chunks), truncated: false };
}

/**
 * A response's body, decoded and capped.
 * @param res the response
 * @param cap the most bytes read, decoded or not
 */
export async function readBody(res: Dispatcher.ResponseData, cap: number): Promise<CappedBody> {
  const header = res.headers['content-encoding'];
  const encoding = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  const body = res.body as AsyncIterable<Buffer>;
  // Encodings are listed in the order applied: decode the last first.
  const names = encoding.split(/\s*,\s*/).filter((name) => name !== '' && name !== 'identity');
  if (names.length === 0)
    return { ...(await readCapped(body, cap)), encoding: undefined, undecodable: undefined };
  const unknown = names.find((name) => DECODERS[name] === undefined);
  if (unknown !== undefined) {
    // Not read: dropped (undici reads a little of it to keep the connection, then closes it).
    await res.body.dump();
    return {
      data: Buffer.alloc(0),
      truncated: false,
      encoding,
      undecodable: `the ${unknown} content encoding, which adsync does not decode`,
    };
  }
  const decoders = names.reverse().map((name) => (DECODERS[name] ?? createGunzip)());
  const last = decoders[decoders.length - 1] ?? createGunzip();
  // An error anywhere (corrupt data) ends the last stream with it, which the reading below sees.
  pipeline([res.body, ...decoders], () => undefined);
  try {
    return { ...(await readCapped(last, cap)), encoding, undecodable: undefined };
  } catch (error) {
    return {
      data: Buffer.alloc(0),
      truncated: false,
      encoding,
      undecodable: `${encoding} data that does not decode (${error instanceof Error ? error.message : String(error)})`,
    };
  }
}
