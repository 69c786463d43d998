import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { makeCa, makeServerCert } from './tls.js';

/** The secret part of the webhook's path, which no output may show. */
export const HOOK_TOKEN = 'T000-hook-token-abcdef';

/**
 * A stand-in for Slack's incoming webhook: HTTPS with a test CA, records what it is sent.
 * @param dir where its CA and certificate are written
 */
export async function startWebhook(dir: string): Promise<{
  url: string;
  caFile: string;
  received: { path: string; body: Record<string, unknown> }[];
  close: () => Promise<void>;
}> {
  const ca = await makeCa(dir, 'hook-ca');
  const pair = await makeServerCert(dir, ca);
  const received: { path: string; body: Record<string, unknown> }[] = [];
  const server: Server = createServer(
    { key: await readFile(pair.key), cert: await readFile(pair.cert) },
    (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
        res.end('ok');
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/services/${HOOK_TOKEN}`,
    caFile: ca.cert,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
