import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import tls from 'node:tls';

import { Agent, FormData, ProxyAgent, request, type Dispatcher } from 'undici';

import type { ResolvedConfig } from '../config/types.js';
import { ConfigError, UploadError, describeError } from '../errors.js';
import { isLoopbackHost } from '../util/loopback.js';
import { sleep, untilStopped } from '../util/until-stopped.js';

/** The iLobby endpoints from iLobby's published script. */
export const ILOBBY_URLS = {
  tokenUrl: 'https://partnerapi.goilobby.com/auth/connect/token',
  uploadUrl: 'https://partnerapi.goilobby.com/addressbook/uploadcsv',
};

/** Everything the upload needs, resolved from config and command line. */
export interface UploadSettings {
  /** Token endpoint (OAuth2 mode). */
  tokenUrl: string | undefined;
  /** Upload endpoint. */
  uploadUrl: string;
  /** OAuth2 client credentials, or undefined in API-key mode. */
  client:
    | {
        id: string;
        secret: string;
        scope: string | undefined;
        auth: 'client_secret_post' | 'client_secret_basic';
      }
    | undefined;
  /** Static API key mode. */
  apiKey: { header: string; value: string } | undefined;
  /** multipart or raw. */
  format: 'multipart' | 'raw';
  /** Multipart field name. */
  fileField: string;
  /** Extra CA (PEM text). */
  ca: string | undefined;
  /** Lowest TLS version. */
  tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Proxy URL, if any. */
  proxy: string | undefined;
  /** Attempts in all. */
  attempts: number;
  /** Overall deadline in ms. */
  deadlineMs: number;
  /** First backoff delay in ms. */
  baseDelayMs: number;
  /** Connect/headers/body timeout in ms. */
  timeoutMs: number;
}

function proxyFor(url: URL, configured: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (configured) return configured;
  const proxy = env.HTTPS_PROXY ?? env.https_proxy;
  if (!proxy) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const host = url.hostname.toLowerCase();
  const bypass = noProxy.some(
    (p) => p === '*' || host === p.replace(/^\./, '') || host.endsWith(p.startsWith('.') ? p : `.${p}`),
  );
  return bypass ? undefined : proxy;
}

function readCa(config: ResolvedConfig, key: string, caFile: string | undefined): string | undefined {
  if (!caFile) return undefined;
  const file = resolve(dirname(config.filepath), caFile);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `${config.filepath}: cannot read ${key} ${file}: ${describeError(error)}`,
    );
  }
}

/** What a dispatcher needs: TLS floor, extra CA, proxy and timeouts. */
export type TransportSettings = Pick<UploadSettings, 'ca' | 'tlsMinVersion' | 'proxy' | 'timeoutMs'>;

/**
 * Transport settings for another HTTPS endpoint (a notification webhook), by the upload's rules:
 * the same TLS floor and proxy (HTTPS_PROXY / NO_PROXY / target.proxy), with its own CA file.
 * @param config the resolved config
 * @param url the endpoint
 * @param options the environment and the endpoint's CA file
 * @param options.env environment (proxy variables)
 * @param options.caFile absolute path of a PEM CA file, if any
 * @param options.timeoutMs connect/headers/body timeout
 */
export function transportFor(
  config: ResolvedConfig,
  url: string,
  options: { env: NodeJS.ProcessEnv; caFile: string | undefined; timeoutMs: number },
): TransportSettings {
  return {
    ca: readCa(config, 'notify.caFile', options.caFile),
    tlsMinVersion: config.target.tlsMinVersion ?? 'TLSv1.2',
    proxy: proxyFor(new URL(url), config.target.proxy, options.env),
    timeoutMs: options.timeoutMs,
  };
}

/**
 * Resolve the upload settings. Missing endpoints or credentials are config errors (exit 2),
 * found before anything is read or sent.
 * @param config the resolved config
 * @param options `--insecure-http` and the environment (for HTTPS_PROXY / NO_PROXY)
 * @param options.insecureHttp allow http:// to loopback
 * @param options.env environment
 */
export function uploadSettings(
  config: ResolvedConfig,
  options: { insecureHttp: boolean; env: NodeJS.ProcessEnv },
): UploadSettings {
  const t = config.target;
  const defaults = t.profile === 'ilobby' ? ILOBBY_URLS : { tokenUrl: undefined, uploadUrl: undefined };
  const uploadUrl = t.uploadUrl ?? defaults.uploadUrl;
  const tokenUrl = t.tokenUrl ?? defaults.tokenUrl;
  const where = config.filepath;
  if (!uploadUrl) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `${where}: target.uploadUrl is required to upload (profile ${t.profile})`,
      {
        hint: "Set target.uploadUrl (and tokenUrl, clientId, clientSecret) from the vendor's integration page, or use --dry-run.",
      },
    );
  }
  const apiKey = t.apiKey ? { header: t.apiKeyHeader ?? 'X-API-Key', value: t.apiKey } : undefined;
  if (!apiKey && (!tokenUrl || !t.clientId || !t.clientSecret)) {
    const missing = [
      !tokenUrl && 'tokenUrl',
      !t.clientId && 'clientId',
      !t.clientSecret && 'clientSecret',
    ].filter(Boolean);
    throw new ConfigError(
      'CONFIG_INVALID',
      `${where}: target.${missing.join(', target.')} required to get an upload token`,
      {
        hint: 'Set them (the secret through ${env:…} or ${file:…}), or set target.apiKey for a vendor that issues API keys.',
      },
    );
  }
  for (const [key, value] of [
    ['uploadUrl', uploadUrl],
    ['tokenUrl', apiKey ? undefined : tokenUrl],
  ] as const) {
    if (value === undefined) continue;
    const url = new URL(value);
    if (url.protocol === 'https:') continue;
    if (url.protocol === 'http:' && options.insecureHttp && isLoopbackHost(url.hostname)) continue;
    throw new ConfigError('CONFIG_INVALID', `${where}: target.${key} ${value} is not https://`, {
      hint:
        url.protocol === 'http:' && isLoopbackHost(url.hostname)
          ? 'Uploads use TLS 1.2+. For a local experiment against loopback, pass --insecure-http.'
          : 'Uploads use TLS 1.2 or newer: use the https:// URL the vendor gives.',
    });
  }
  const ca = readCa(config, 'target.caFile', t.caFile);
  return {
    tokenUrl: apiKey ? undefined : tokenUrl,
    uploadUrl,
    client:
      !apiKey && t.clientId && t.clientSecret
        ? { id: t.clientId, secret: t.clientSecret, scope: t.scope, auth: t.auth ?? 'client_secret_post' }
        : undefined,
    apiKey,
    format: t.format ?? 'multipart',
    fileField: t.fileField ?? 'file',
    ca,
    tlsMinVersion: t.tlsMinVersion ?? 'TLSv1.2',
    proxy: proxyFor(new URL(uploadUrl), t.proxy, options.env),
    attempts: t.retries?.attempts ?? 5,
    deadlineMs: (t.retries?.maxSeconds ?? 300) * 1000,
    baseDelayMs: t.retries?.baseDelayMs ?? 1000,
    timeoutMs: (t.timeoutSeconds ?? 60) * 1000,
  };
}

/**
 * One dispatcher for every request of a run: TLS 1.2+ (or 1.3), the system roots plus the
 * configured CA, verification always on; through the proxy when there is one, with the same
 * TLS rules for the tunnelled connection (undici takes them as `requestTls`).
 * @param settings TLS floor, extra CA, proxy and timeouts
 */
export function createDispatcher(settings: TransportSettings): Dispatcher {
  const tlsOptions = {
    minVersion: settings.tlsMinVersion,
    rejectUnauthorized: true,
    ...(settings.ca ? { ca: [...tls.rootCertificates, settings.ca] } : {}),
  };
  const timeouts = { headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs };
  if (settings.proxy) {
    return new ProxyAgent({
      uri: settings.proxy,
      requestTls: { ...tlsOptions, timeout: settings.timeoutMs },
      ...timeouts,
    });
  }
  return new Agent({ connect: { ...tlsOptions, timeout: settings.timeoutMs }, ...timeouts });
}

/** Progress of an upload, for the terminal and logs (never with secrets). */
export type UploadEvent =
  | { type: 'token'; url: string }
  | { type: 'upload'; url: string; attempt: number }
  | { type: 'retry'; reason: string; waitMs: number; attempt: number };

/** What the vendor answered. */
export interface UploadResult {
  /** HTTP status of the accepted upload. */
  httpStatus: number;
  /** The vendor's answer: parsed JSON, or text. */
  summary: unknown;
  /** Attempts made. */
  attempts: number;
}

/** A proxy URL without its password, for messages. */
function redactUserinfo(url: string | undefined): string {
  if (!url) return '(none)';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(proxy)';
  }
}

function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkProblem(error: unknown): { tls: boolean; text: string } {
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } }).code ??
    (error as { cause?: { code?: unknown } }).cause?.code;
  const text = `${typeof code === 'string' ? `${code}: ` : ''}${describeError(error)}`;
  // A reset or refusal during the handshake is a network problem (retried), not a TLS verdict.
  const network =
    typeof code === 'string' &&
    /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT)$/.test(code);
  return {
    tls: !network && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|protocol version/i.test(text),
    text,
  };
}

async function bodyOf(res: Dispatcher.ResponseData): Promise<unknown> {
  const text = await res.body.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function serverMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    const parts = [o.error, o.error_description, o.message].filter((v): v is string => typeof v === 'string');
    if (parts.length > 0) return parts.join(': ');
  }
  return JSON.stringify(body).slice(0, 300);
}

/**
 * OAuth2 client-credentials tokens, kept in memory only: reused until shortly before they
 * expire, never after.
 */
export class TokenSource {
  private token: { value: string; usableUntil: number } | undefined;

  /**
   * @param settings endpoints and credentials
   * @param dispatcher the run's dispatcher
   * @param onToken told each new token, so output can redact it
   */
  public constructor(
    private readonly settings: UploadSettings,
    private readonly dispatcher: Dispatcher,
    private readonly onToken: (token: string) => void,
  ) {}

  /** Forget the current token (after a 401). */
  public invalidate(): void {
    this.token = undefined;
  }

  /** A valid token, fetching a new one when needed. */
  public async get(): Promise<string> {
    if (this.token && Date.now() < this.token.usableUntil) return this.token.value;
    this.token = undefined;
    const { tokenUrl, client } = this.settings;
    if (!tokenUrl || !client) throw new Error('TokenSource needs tokenUrl and client credentials');
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (client.scope) form.set('scope', client.scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (client.auth === 'client_secret_basic') {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
    } else {
      form.set('client_id', client.id);
      form.set('client_secret', client.secret);
    }
    const started = Date.now();
    const res = await request(tokenUrl, {
      method: 'POST',
      headers,
      body: form.toString(),
      dispatcher: this.dispatcher,
    });
    const body = await bodyOf(res);
    if (res.statusCode === 400 || res.statusCode === 401 || res.statusCode === 403) {
      throw new UploadError(
        'UPLOAD_AUTH',
        `the token endpoint ${tokenUrl} refused client ${client.id}: ${res.statusCode} ${serverMessage(body)}`,
        {
          hint: 'Check target.clientId and target.clientSecret (the key ID and secret issued to this client), and target.auth.',
        },
      );
    }
    if (res.statusCode >= 300) {
      throw new UploadError(
        'UPLOAD_FAILED',
        `the token endpoint ${tokenUrl} answered ${res.statusCode}: ${serverMessage(body)}`,
        {
          details: { httpStatus: res.statusCode, retryable: res.statusCode === 429 || res.statusCode >= 500 },
        },
      );
    }
    const record = (body && typeof body === 'object' ? body : {}) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof record.access_token !== 'string') {
      throw new UploadError('UPLOAD_AUTH', `the token endpoint ${tokenUrl} answered without an access_token`);
    }
    this.onToken(record.access_token);
    const lifetimeMs = (typeof record.expires_in === 'number' ? record.expires_in : 3600) * 1000;
    // Stop using a token a little before it expires: 30 s, or a tenth of a short lifetime.
    const margin = Math.min(30_000, lifetimeMs / 10);
    this.token = { value: record.access_token, usableUntil: started + lifetimeMs - margin };
    return record.access_token;
  }
}

/**
 * The CSV to upload: bytes in memory, or a file on disk with the SHA-256 and size it was planned
 * with (then it is streamed, not loaded).
 */
export type UploadFile =
  { name: string; bytes: Uint8Array } | { name: string; path: string; sha256: string; size: number };

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
 * Upload a CSV: multipart (file field, filename, text/csv) or a raw text/csv body, streamed from
 * disk. Retries network errors, 429 and 5xx with exponential backoff and jitter (honouring
 * Retry-After) within the attempt count and the deadline; one 401 gets one fresh token and one
 * retry; any other 4xx fails at once with the server's message.
 * @param settings upload settings
 * @param file the CSV to send: exactly the bytes the guards checked (a file on disk could be
 *   replaced or pruned by another run during retries)
 * @param hooks progress and token callbacks
 * @param hooks.onEvent progress
 * @param hooks.onToken told each token, for redaction
 * @param hooks.signal aborts the upload (a run's time limit or a signal); its reason is thrown
 */
export async function uploadCsv(
  settings: UploadSettings,
  file: UploadFile,
  hooks: {
    onEvent?: ((event: UploadEvent) => void) | undefined;
    onToken: (token: string) => void;
    signal?: AbortSignal | undefined;
  },
): Promise<UploadResult> {
  if ('bytes' in file) return uploadWith(settings, file, undefined, hooks);
  let handle: FileHandle;
  try {
    handle = await open(file.path, 'r');
  } catch (error) {
    throw new UploadError('UPLOAD_FAILED', `cannot read ${file.path}: ${describeError(error)}`, {
      hint: 'The CSV was removed or made unreadable after it was written; nothing was uploaded. Run again.',
      cause: error,
    });
  }
  try {
    return await uploadWith(settings, file, handle, hooks);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function uploadWith(
  settings: UploadSettings,
  file: UploadFile,
  handle: FileHandle | undefined,
  hooks: {
    onEvent?: ((event: UploadEvent) => void) | undefined;
    onToken: (token: string) => void;
    signal?: AbortSignal | undefined;
  },
): Promise<UploadResult> {
  const { signal } = hooks;
  // Set by the body stream when the file is not the planned one.
  const check = { changed: false };
  const changedError = (): UploadError =>
    new UploadError(
      'UPLOAD_FAILED',
      `the CSV ${'path' in file ? file.path : file.name} changed on disk after it was planned; the upload was stopped before its end`,
      {
        hint: 'Another process modified the file. Nothing complete was sent; run again.',
      },
    );
  const dispatcher = createDispatcher(settings);
  const emit = hooks.onEvent ?? ((): void => undefined);
  const tokens = settings.client ? new TokenSource(settings, dispatcher, hooks.onToken) : undefined;
  const deadline = Date.now() + settings.deadlineMs;
  let refreshed = false;
  let last = '';
  try {
    for (let attempt = 1; attempt <= settings.attempts; attempt++) {
      let waitMs = Math.min(30_000, settings.baseDelayMs * 2 ** (attempt - 1));
      waitMs = Math.round(waitMs * (0.5 + Math.random() / 2));
      try {
        const headers: Record<string, string> = { accept: 'application/json' };
        if (tokens) {
          if (settings.tokenUrl) emit({ type: 'token', url: settings.tokenUrl });
          headers.authorization = `Bearer ${await untilStopped(tokens.get(), signal)}`;
        } else if (settings.apiKey) headers[settings.apiKey.header] = settings.apiKey.value;
        emit({ type: 'upload', url: settings.uploadUrl, attempt });
        let body: FormData | Uint8Array | Readable;
        if ('bytes' in file) {
          body = file.bytes;
          if (settings.format === 'multipart') {
            const form = new FormData();
            form.set(settings.fileField, new Blob([file.bytes], { type: 'text/csv' }), file.name);
            body = form;
          } else headers['content-type'] = 'text/csv; charset=utf-8';
        } else {
          const fd = handle as FileHandle;
          const content = (): AsyncIterable<Uint8Array> =>
            plannedBytes(fd, file, () => {
              check.changed = true;
            });
          if (settings.format === 'multipart') {
            const form = multipartAround(settings.fileField, file.name, file.size, content);
            headers['content-type'] = form.contentType;
            headers['content-length'] = String(form.length);
            body = Readable.from(form.body(), { objectMode: false });
          } else {
            headers['content-type'] = 'text/csv; charset=utf-8';
            headers['content-length'] = String(file.size);
            body = Readable.from(content(), { objectMode: false });
          }
        }
        const res = await request(settings.uploadUrl, {
          method: 'POST',
          headers,
          body,
          dispatcher,
          signal: signal ?? null,
        });
        const answer = await bodyOf(res);
        if (res.statusCode >= 200 && res.statusCode < 300)
          return { httpStatus: res.statusCode, summary: answer, attempts: attempt };
        last = `${res.statusCode} ${serverMessage(answer)}`;
        if (res.statusCode === 401 && tokens && !refreshed) {
          refreshed = true;
          tokens.invalidate();
          emit({ type: 'retry', reason: '401: getting a fresh token', waitMs: 0, attempt });
          attempt--; // the one retry after a refresh does not use up an attempt
          continue;
        }
        if (res.statusCode !== 429 && res.statusCode < 500) {
          throw new UploadError(
            'UPLOAD_REJECTED',
            `the vendor rejected the upload to ${settings.uploadUrl}: ${last}`,
            {
              hint:
                res.statusCode === 401
                  ? 'The token was refused even after a fresh one: check that this client may upload.'
                  : "Nothing was imported. Read the vendor's message above; the CSV is kept for inspection.",
              details: { httpStatus: res.statusCode },
            },
          );
        }
        waitMs = Math.max(waitMs, retryAfterMs(res.headers['retry-after'], Date.now()) ?? 0);
      } catch (error) {
        if (signal?.aborted) throw signal.reason as Error;
        if (check.changed) throw changedError();
        if (error instanceof UploadError) {
          if (error.details?.retryable !== true) throw error;
          last = error.message;
        } else {
          const problem = networkProblem(error);
          if (/\b407\b/.test(problem.text)) {
            throw new UploadError(
              'UPLOAD_FAILED',
              `the proxy ${redactUserinfo(settings.proxy)} refused the connection: ${problem.text}`,
              {
                hint: 'Check the proxy user name and password (in target.proxy or HTTPS_PROXY).',
                cause: error,
              },
            );
          }
          if (problem.tls) {
            throw new UploadError(
              'UPLOAD_TLS',
              `TLS with ${new URL(settings.uploadUrl).host} failed: ${problem.text}`,
              {
                hint: 'The vendor must offer TLS 1.2 or newer with a certificate this machine trusts; for a private CA set target.caFile.',
                cause: error,
              },
            );
          }
          last = problem.text;
        }
      }
      if (attempt === settings.attempts || Date.now() + waitMs > deadline) break;
      emit({ type: 'retry', reason: last, waitMs, attempt });
      await sleep(waitMs, signal);
    }
    throw new UploadError('UPLOAD_FAILED', `upload to ${settings.uploadUrl} failed after retrying: ${last}`, {
      hint: 'The vendor or the network kept failing. Nothing may have been imported; run again later (the CSV is kept).',
    });
  } finally {
    // close() would wait for a request still in flight (a stopped run must not); destroy() ends it.
    await (signal?.aborted ? dispatcher.destroy() : dispatcher.close()).catch(() => undefined);
  }
}
