import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { parse } from 'csv-parse/sync';
import { generate } from 'selfsigned';

import {
  importRows,
  invalidUtf8Offset,
  VENDOR_HEADERS,
  type ImportSummary,
  type MockContact,
  type VendorRules,
} from './import.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { multipartFile } from './multipart.js';

/** One API client: a key ID and its secret. */
export interface MockClient {
  /** Client id. */
  id: string;
  /** Client secret. */
  secret: string;
}

/** Faults to inject, changeable while the server runs. */
export interface MockFaults {
  /** Fail this many of the next upload requests with {@link MockFaults.failStatus}. */
  failNext: number;
  /** Status for injected failures (500, 503, 429…). */
  failStatus: number;
  /** Retry-After seconds sent with injected failures (429/503). */
  retryAfterSeconds?: number | undefined;
  /** Drop the connection in the middle of this many of the next uploads. */
  dropNext: number;
  /** Delay every response by this many ms. */
  delayMs: number;
  /** Fail this many of the next token requests with 503. */
  failTokenNext: number;
  /** Issue this many of the next tokens already expired (as if their lifetime ran out early). */
  expireTokensNext: number;
}

/** Options for {@link startMockServer}. */
export interface MockServerOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (0 = any free one). */
  port?: number;
  /** PEM certificate and key; a self-signed pair is made when absent. */
  tls?: { cert: string; key: string } | undefined;
  /** API clients. */
  clients: MockClient[];
  /** Token lifetime in seconds (default 3600). */
  tokenLifetimeSeconds?: number;
  /** iLobby site names (empty = any). */
  sites?: string[];
  /** JSON file that keeps contacts and uploads across restarts. */
  statePath?: string | undefined;
  /** Ignore the state file's content. */
  reset?: boolean;
  /** Initial faults. */
  faults?: Partial<MockFaults>;
}

/** An upload as the mock recorded it. */
export interface UploadRecord {
  /** When. */
  time: string;
  /** Which client. */
  client: string;
  /** Which rules. */
  rules: VendorRules;
  /** Body size. */
  bytes: number;
  /** HTTP status answered. */
  status: number;
  /** imported, or why not. */
  outcome: string;
  /** The import summary, when imported. */
  summary?: ImportSummary;
  /** Milliseconds from the request to the whole body received. */
  receiveMs?: number;
  /** Milliseconds spent checking, parsing and importing the CSV. */
  importMs?: number;
}

interface MockState {
  contacts: MockContact[];
  uploads: UploadRecord[];
}

/** A running mock vendor. */
export interface MockServer {
  /** Base URL, e.g. https://127.0.0.1:43123. */
  url: string;
  /** PEM of the server certificate (trust it with target.caFile). */
  certificate: string;
  /** Faults, mutable. */
  faults: MockFaults;
  /** Contacts as stored. */
  contacts(): MockContact[];
  /** Uploads received. */
  uploads(): UploadRecord[];
  /** Tokens issued so far. */
  tokensIssued(): number;
  /** Requests received so far, counted on arrival (before any injected delay). */
  requestsSeen(): number;
  /** Every token issued (for tests that check no token leaks). */
  issuedTokens(): string[];
  /** Make every token issued so far expired. */
  expireTokens(): void;
  /** Stop listening. */
  stop(): Promise<void>;
}

/**
 * A self-signed certificate for localhost, 127.0.0.1 and ::1.
 */
export async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: 'adsync mock vendor' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

const MAX_BODY = 512 * 1024 * 1024;

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Start the mock vendor: HTTPS only (TLS 1.2+), OAuth2 client credentials, the Receptionist and
 * iLobby upload endpoints with their import rules, and fault injection.
 * @param options listening address, certificate, clients, sites, state and faults
 */
export async function startMockServer(options: MockServerOptions): Promise<MockServer> {
  const tls = options.tls ?? (await selfSignedCertificate());
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const faults: MockFaults = {
    failNext: 0,
    failStatus: 503,
    dropNext: 0,
    delayMs: 0,
    failTokenNext: 0,
    expireTokensNext: 0,
    ...options.faults,
  };
  const tokens = new Map<string, { client: string; expiresAt: number }>();
  let issued = 0;
  let state: MockState = { contacts: [], uploads: [] };
  if (options.statePath && !options.reset) {
    try {
      state = JSON.parse(readFileSync(options.statePath, 'utf8')) as MockState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const save = async (): Promise<void> => {
    if (!options.statePath) return;
    await writeFileAtomic(options.statePath, JSON.stringify(state, null, 2));
  };

  const clientOf = (req: IncomingMessage): string | undefined => {
    // Static API-key mode: the key is a client's secret, sent in X-API-Key.
    const key = req.headers['x-api-key'];
    if (typeof key === 'string') return options.clients.find((c) => same(c.secret, key))?.id;
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/i.exec(auth)?.[1];
    if (!token) return undefined;
    const entry = tokens.get(token);
    // An expired token stays known, so it is refused for good.
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry.client;
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (faults.failTokenNext > 0) {
      faults.failTokenNext--;
      send(res, 503, { error: 'temporarily_unavailable' });
      return;
    }
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    let id = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? '';
    const basic = /^Basic (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (form.get('grant_type') !== 'client_credentials') {
      send(res, 400, { error: 'unsupported_grant_type' });
      return;
    }
    const client = options.clients.find((c) => c.id === id);
    if (!client || !same(client.secret, secret)) {
      send(res, 401, { error: 'invalid_client', error_description: 'unknown client or wrong secret' });
      return;
    }
    const token = randomBytes(24).toString('base64url');
    const early = faults.expireTokensNext > 0;
    if (early) faults.expireTokensNext--;
    tokens.set(token, { client: client.id, expiresAt: early ? 0 : Date.now() + lifetime * 1000 });
    issued++;
    send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: lifetime });
  };

  const handleUpload = async (
    req: IncomingMessage,
    res: ServerResponse,
    rules: VendorRules,
  ): Promise<void> => {
    const client = clientOf(req);
    if (!client) {
      send(res, 401, {
        error: 'invalid_token',
        error_description: 'missing, unknown or expired bearer token',
      });
      return;
    }
    if (faults.dropNext > 0) {
      faults.dropNext--;
      req.once('data', () => req.socket.destroy());
      req.resume();
      return;
    }
    if (faults.failNext > 0) {
      faults.failNext--;
      await readBody(req).catch(() => Buffer.alloc(0));
      const retry: Record<string, string> =
        faults.retryAfterSeconds === undefined ? {} : { 'retry-after': String(faults.retryAfterSeconds) };
      send(res, faults.failStatus, { error: `injected failure ${faults.failStatus}` }, retry);
      return;
    }
    const started = performance.now();
    const body = await readBody(req);
    const received = performance.now();
    const record = (status: number, outcome: string, summary?: ImportSummary): void => {
      state.uploads.push({
        time: new Date().toISOString(),
        client,
        rules,
        bytes: body.length,
        status,
        outcome,
        ...(summary ? { summary } : {}),
        receiveMs: Math.round(received - started),
        importMs: Math.round(performance.now() - received),
      });
    };
    let csv: Uint8Array;
    const type = req.headers['content-type'] ?? '';
    if (/^multipart\/form-data/i.test(type)) {
      const file = await multipartFile(body, type);
      if (!file) {
        record(400, 'no file in the form');
        await save();
        send(res, 400, { error: 'multipart upload without a file field' });
        return;
      }
      csv = file;
    } else {
      csv = body;
    }
    const bad = invalidUtf8Offset(csv);
    if (bad >= 0) {
      record(422, `invalid UTF-8 byte sequence at byte ${bad}`);
      await save();
      send(res, 422, { error: `invalid UTF-8 byte sequence at byte ${bad}`, offset: bad });
      return;
    }
    let rows: Record<string, string>[];
    try {
      rows = parse<Record<string, string>>(Buffer.from(csv).toString('utf8'), {
        columns: true,
        bom: true,
        relax_column_count: false,
      });
    } catch (error) {
      record(400, 'CSV could not be parsed');
      await save();
      send(res, 400, {
        error: `CSV could not be parsed: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    const headers = rows[0] ? Object.keys(rows[0]) : [];
    const unknown = headers.filter((h) => !VENDOR_HEADERS[rules].includes(h));
    if (unknown.length > 0) {
      record(400, `unknown columns ${unknown.join(', ')}`);
      await save();
      send(res, 400, {
        error: `unknown columns: ${unknown.join(', ')}; expected ${VENDOR_HEADERS[rules].join(', ')}`,
      });
      return;
    }
    const summary = importRows(rules, state.contacts, rows, { sites: options.sites ?? [] });
    record(200, 'imported', summary);
    await save();
    send(res, 200, summary);
  };

  let seen = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    seen++;
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
    const path = new URL(req.url ?? '/', 'https://mock').pathname;
    const route = `${req.method ?? 'GET'} ${path}`;
    switch (route) {
      case 'POST /oauth/token':
      case 'POST /auth/connect/token':
        return handleToken(req, res);
      case 'POST /contacts/import':
        return handleUpload(req, res, 'receptionist');
      case 'POST /addressbook/uploadcsv':
        return handleUpload(req, res, 'ilobby');
      case 'GET /contacts':
      case 'GET /uploads':
        if (!clientOf(req)) {
          send(res, 401, { error: 'invalid_token' });
          return;
        }
        send(res, 200, path === '/contacts' ? state.contacts : state.uploads);
        return;
      default:
        send(res, 404, { error: `no route ${route}` });
    }
  };

  const server = https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `https://${host}:${address.port}`,
    certificate: tls.cert,
    faults,
    contacts: () => state.contacts,
    uploads: () => state.uploads,
    tokensIssued: () => issued,
    requestsSeen: () => seen,
    issuedTokens: () => [...tokens.keys()],
    expireTokens: () => {
      for (const entry of tokens.values()) entry.expiresAt = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
