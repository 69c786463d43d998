import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

import { selfSignedCertificate } from '../../src/mock-server/server.js';

/** What a hostile vendor does with one request (its body already read). */
export type HostileHandler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A hand-made vendor on loopback that answers however a test tells it to. */
export interface HostileVendor {
  /** https://127.0.0.1:PORT */
  url: string;
  /** Its self-signed certificate (PEM), for target.caFile. */
  certificate: string;
  /** Requests seen: method, path, body. */
  seen: { method: string; path: string; body: string }[];
  /** What to do with the next requests (replaceable between runs). */
  handle: HostileHandler;
  /** Close it and every connection it holds. */
  stop(): Promise<void>;
}

/**
 * Start a vendor that misbehaves on purpose (echoes secrets, answers 200 with a login page,
 * trickles its body, sends escape sequences), over real TLS on 127.0.0.1.
 * @param handle the first behaviour
 */
export async function startHostileVendor(handle: HostileHandler): Promise<HostileVendor> {
  const tls = await selfSignedCertificate();
  const sockets = new Set<Socket>();
  const vendor: HostileVendor = {
    url: '',
    certificate: tls.cert,
    seen: [],
    handle,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
  const server: Server = createServer({ ...tls, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      vendor.seen.push({ method: req.method ?? '', path: req.url ?? '', body });
      vendor.handle(req, body, res);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vendor.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return vendor;
}

/**
 * A normal OAuth2 token answer, for the endpoints a test does not attack.
 * @param res the response
 */
export function issueToken(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ access_token: 'tok-0123456789', token_type: 'Bearer', expires_in: 3600 }));
}
