import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { selfSignedCertificate } from './certificate.js';
import { uploadedRows } from './csv-body.js';
import { importRows, type ImportSummary, type MockContact, type VendorRules } from './import.js';
import { writeFileAtomic } from '../io/atomic-file.js';

export { selfSignedCertificate } from './certificate.js';

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

const MAX_BODY = 512 * 1024 * 1024;

/** The upload endpoints (The Receptionist's and iLobby's), which answer other methods with 405. */
const UPLOAD_PATHS = new Set(['/contacts/import', '/addressbook/uploadcsv']);

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

/** The state kept across restarts, or an empty one (no state file, --reset, or none written yet). */
function loadState(options: MockServerOptions): MockState {
  if (!options.statePath || options.reset) return { contacts: [], uploads: [] };
  try {
    return JSON.parse(readFileSync(options.statePath, 'utf8')) as MockState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { contacts: [], uploads: [] };
  }
}

/** The client id and secret of a token request: HTTP Basic when sent, else the form's fields. */
function credentialsOf(req: IncomingMessage, form: URLSearchParams): { id: string; secret: string } {
  const basic = /^Basic (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!basic) return { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' };
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return {
    id: decodeURIComponent(decoded.slice(0, colon)),
    secret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

/**
 * The vendor behind the HTTPS listener: its clients, tokens, faults and stored state, one method
 * per endpoint. Kept apart from the listener so each endpoint reads on its own.
 */
class MockVendor {
  readonly faults: MockFaults;
  readonly tokens = new Map<string, { client: string; expiresAt: number }>();
  readonly state: MockState;
  issued = 0;
  seen = 0;

  constructor(private readonly options: MockServerOptions) {
    this.faults = {
      failNext: 0,
      failStatus: 503,
      dropNext: 0,
      delayMs: 0,
      failTokenNext: 0,
      expireTokensNext: 0,
      ...options.faults,
    };
    this.state = loadState(options);
  }

  async save(): Promise<void> {
    if (!this.options.statePath) return;
    await writeFileAtomic(this.options.statePath, JSON.stringify(this.state, null, 2));
  }

  /** The client a request authenticates as (API key or live bearer token), if any. */
  clientOf(req: IncomingMessage): string | undefined {
    // Static API-key mode: the key is a client's secret, sent in X-API-Key.
    const key = req.headers['x-api-key'];
    if (typeof key === 'string') return this.options.clients.find((c) => same(c.secret, key))?.id;
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/i.exec(auth)?.[1];
    if (!token) return undefined;
    const entry = this.tokens.get(token);
    // An expired token stays known, so it is refused for good.
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry.client;
  }

  /** OAuth2 client credentials: a bearer token for a known client with the right secret. */
  async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const faults = this.faults;
    if (faults.failTokenNext > 0) {
      faults.failTokenNext--;
      send(res, 503, { error: 'temporarily_unavailable' });
      return;
    }
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const { id, secret } = credentialsOf(req, form);
    if (form.get('grant_type') !== 'client_credentials') {
      send(res, 400, { error: 'unsupported_grant_type' });
      return;
    }
    const client = this.options.clients.find((c) => c.id === id);
    if (!client || !same(client.secret, secret)) {
      send(res, 401, { error: 'invalid_client', error_description: 'unknown client or wrong secret' });
      return;
    }
    const lifetime = this.options.tokenLifetimeSeconds ?? 3600;
    const token = randomBytes(24).toString('base64url');
    const early = faults.expireTokensNext > 0;
    if (early) faults.expireTokensNext--;
    this.tokens.set(token, { client: client.id, expiresAt: early ? 0 : Date.now() + lifetime * 1000 });
    this.issued++;
    send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: lifetime });
  }

  /** Play an injected upload fault (dropped connection or failure status); true when one was played. */
  private async injectedFault(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const faults = this.faults;
    if (faults.dropNext > 0) {
      faults.dropNext--;
      req.once('data', () => req.socket.destroy());
      req.resume();
      return true;
    }
    if (faults.failNext <= 0) return false;
    faults.failNext--;
    await readBody(req).catch(() => Buffer.alloc(0));
    const retry: Record<string, string> =
      faults.retryAfterSeconds === undefined ? {} : { 'retry-after': String(faults.retryAfterSeconds) };
    send(res, faults.failStatus, { error: `injected failure ${faults.failStatus}` }, retry);
    return true;
  }

  /** An upload: authenticate, play faults, check the CSV, import it, record and answer. */
  async upload(req: IncomingMessage, res: ServerResponse, rules: VendorRules): Promise<void> {
    const client = this.clientOf(req);
    if (!client) {
      send(res, 401, {
        error: 'invalid_token',
        error_description: 'missing, unknown or expired bearer token',
      });
      return;
    }
    if (await this.injectedFault(req, res)) return;
    const started = performance.now();
    const body = await readBody(req);
    const received = performance.now();
    const checked = await uploadedRows(body, req.headers['content-type'] ?? '', rules);
    const summary =
      'rows' in checked
        ? importRows(rules, this.state.contacts, checked.rows, { sites: this.options.sites ?? [] })
        : undefined;
    const status = 'rows' in checked ? 200 : checked.status;
    this.state.uploads.push({
      time: new Date().toISOString(),
      client,
      rules,
      bytes: body.length,
      status,
      outcome: 'rows' in checked ? 'imported' : checked.outcome,
      ...(summary ? { summary } : {}),
      receiveMs: Math.round(received - started),
      importMs: Math.round(performance.now() - received),
    });
    await this.save();
    send(res, status, 'rows' in checked ? summary : checked.answer);
  }

  /**
   * Any method but POST on an upload path: 401 without live credentials, else 405 with
   * `Allow: POST`, what `adsync check`'s OPTIONS probe takes as "the path exists". The vendors
   * document only the upload (../shared/seeds), so this is what common frameworks answer (ASP.NET
   * Core, which iLobby's /auth/connect/token suggests, answers 405 to a method a route lacks); the
   * real vendors' answers are unknown, and whether they check credentials before the method too.
   */
  otherMethod(req: IncomingMessage, res: ServerResponse): void {
    if (!this.clientOf(req)) {
      send(res, 401, {
        error: 'invalid_token',
        error_description: 'missing, unknown or expired credentials',
      });
      return;
    }
    send(
      res,
      405,
      { error: 'method_not_allowed', error_description: `${req.method ?? ''} is not allowed here` },
      { allow: 'POST' },
    );
  }

  /** Route one request, after the injected delay. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.seen++;
    if (this.faults.delayMs > 0) await new Promise((r) => setTimeout(r, this.faults.delayMs));
    const path = new URL(req.url ?? '/', 'https://mock').pathname;
    const route = `${req.method ?? 'GET'} ${path}`;
    switch (route) {
      case 'POST /oauth/token':
      case 'POST /auth/connect/token':
        return this.token(req, res);
      case 'POST /contacts/import':
        return this.upload(req, res, 'receptionist');
      case 'POST /addressbook/uploadcsv':
        return this.upload(req, res, 'ilobby');
      case 'GET /contacts':
      case 'GET /uploads':
        if (!this.clientOf(req)) {
          send(res, 401, { error: 'invalid_token' });
          return;
        }
        send(res, 200, path === '/contacts' ? this.state.contacts : this.state.uploads);
        return;
      default:
        // Only the upload paths exist for other methods; any other path is not found.
        if (UPLOAD_PATHS.has(path)) this.otherMethod(req, res);
        else send(res, 404, { error: `no route ${route}` });
    }
  }
}

/**
 * Start the mock vendor: HTTPS only (TLS 1.2+), OAuth2 client credentials, the Receptionist and
 * iLobby upload endpoints with their import rules, and fault injection.
 * @param options listening address, certificate, clients, sites, state and faults
 */
export async function startMockServer(options: MockServerOptions): Promise<MockServer> {
  const tls = options.tls ?? (await selfSignedCertificate());
  const vendor = new MockVendor(options);
  const server = https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    vendor.handle(req, res).catch((error: unknown) => {
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
    faults: vendor.faults,
    contacts: () => vendor.state.contacts,
    uploads: () => vendor.state.uploads,
    tokensIssued: () => vendor.issued,
    requestsSeen: () => vendor.seen,
    issuedTokens: () => [...vendor.tokens.keys()],
    expireTokens: () => {
      for (const entry of vendor.tokens.values()) entry.expiresAt = 0;
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
