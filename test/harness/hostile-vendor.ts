import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { selfSignedCertificate } from '../../src/mock-server/server.js';
import { exampleConfig } from './example-config.js';
import { tempDir, writeConfig } from './files.js';

/** The file the harness loads into slapd, read as an LDIF export. */
const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));

/** What a hostile vendor does with one request (its body already read). */
export type HostileHandler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A hand-made vendor on loopback that answers however a test tells it to. */
export interface HostileVendor {
  /** https://127.0.0.1:PORT */
  url: string;
  /** Its self-signed certificate (PEM), for target.caFile. */
  certificate: string;
  /** Requests seen: method, path, headers, body. */
  seen: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[];
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
      vendor.seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
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

/**
 * A temporary project that pushes test/fixtures/example.ldif (read as an LDIF export, no
 * server) to a hostile vendor, trusting its certificate; the client secret comes from
 * ADSYNC_CLIENT_SECRET, the state and log stay in the project.
 * @param vendor the vendor
 * @param target keys added to (or replacing) the target section
 * @param directory keys added to (or replacing) the directory section
 * @param extra top-level keys added to (or replacing) the config's (notify, extraContacts…)
 * @returns the project's directory (its config is adsync.yaml)
 */
export async function hostileProject(
  vendor: HostileVendor,
  target: Record<string, unknown> = {},
  directory: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<string> {
  const cwd = await tempDir();
  await writeFile(join(cwd, 'vendor.pem'), vendor.certificate);
  const base = exampleConfig();
  await writeConfig(cwd, {
    ...base,
    directory: { kind: 'ldif', file: EXAMPLE_LDIF, baseDN: base.directory.baseDN, ...directory },
    target: {
      profile: 'receptionist',
      tokenUrl: `${vendor.url}/oauth/token`,
      uploadUrl: `${vendor.url}/contacts/import`,
      clientId: 'adsync',
      clientSecret: '${env:ADSYNC_CLIENT_SECRET}',
      caFile: './vendor.pem',
      retries: { attempts: 1 },
      ...target,
    },
    state: { dir: './state' },
    logging: { file: './adsync.log' },
    ...extra,
  });
  return cwd;
}

/**
 * A vendor that issues tokens and answers every upload 200 with this JSON text exactly as given:
 * duplicate keys, negative or string counts and all (JSON.stringify could write none of them).
 * @param json the answer's text
 */
export function answersUpload(json: string): HostileHandler {
  return (req, _body, res) => {
    if (req.url === '/oauth/token') {
      issueToken(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(json);
  };
}

/**
 * A vendor that takes the upload, begins a 200 announcing a longer body than it sends
 * (Content-Length) and cuts the connection: the import happened, its answer never arrived whole.
 */
export function cutsItsAnswerShort(): HostileHandler {
  return (req, _body, res) => {
    if (req.url === '/oauth/token') {
      issueToken(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"created":11,"updated":0,', () => {
      setTimeout(() => res.socket?.destroy(), 50);
    });
  };
}

/**
 * A webhook receiver on loopback (HTTPS, its own self-signed certificate): it answers 200 to
 * every POST and keeps what it was sent in `seen`.
 */
export function startWebhookReceiver(): Promise<HostileVendor> {
  return startHostileVendor((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
}
