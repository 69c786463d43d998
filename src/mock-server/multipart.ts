import { Busboy } from '@fastify/busboy';

/**
 * The first file part of a multipart/form-data body (RFC 7578), or undefined when the body has
 * no boundary, no file part, or does not parse. Parsed by busboy, not by adsync's own code: the
 * client builds its multipart body by hand, and an independent parser is what checks it.
 * @param body the whole request body
 * @param contentType the request's content-type, with its boundary
 */
export async function multipartFile(body: Buffer, contentType: string): Promise<Uint8Array | undefined> {
  let parser: ReturnType<typeof Busboy>;
  try {
    parser = Busboy({ headers: { 'content-type': contentType } });
  } catch {
    return undefined; // not multipart, or no boundary
  }
  return new Promise((resolve) => {
    let file: Promise<Uint8Array> | undefined;
    parser.on('file', (_field, stream) => {
      if (file) {
        stream.resume(); // only the first file counts
        return;
      }
      file = new Promise((done, fail) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.once('end', () => {
          done(Buffer.concat(chunks));
        });
        stream.once('error', fail);
      });
    });
    parser.on('field', () => undefined);
    parser.once('error', () => {
      resolve(undefined);
    });
    parser.once('finish', () => {
      if (!file) resolve(undefined);
      else
        file.then(resolve, () => {
          resolve(undefined);
        });
    });
    parser.end(body);
  });
}
