import { request, type Dispatcher } from 'undici';

import { UploadError } from '../errors.js';
import type { UploadSettings } from './settings.js';
import { ACCEPT_IDENTITY } from './content-encoding.js';
import { answerMessage, readAnswer } from './vendor-summary.js';

/** RFC 6750 b64token, plus the other visible ASCII characters some issuers put in tokens. */
const TOKEN = /^[\x21-\x7e]+$/;

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

  /**
   * A valid token, fetching a new one when needed.
   * @param signal ends the token request (the request's time limit, the run's stop)
   */
  public async get(signal?: AbortSignal): Promise<string> {
    if (this.token && Date.now() < this.token.usableUntil) return this.token.value;
    this.token = undefined;
    const { tokenUrl, client } = this.settings;
    if (!tokenUrl || !client) throw new Error('TokenSource needs tokenUrl and client credentials');
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (client.scope) form.set('scope', client.scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...ACCEPT_IDENTITY,
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
      signal: signal ?? null,
    });
    const { body, raw } = await readAnswer(res);
    if (res.statusCode === 400 || res.statusCode === 401 || res.statusCode === 403) {
      throw new UploadError(
        'UPLOAD_AUTH',
        `the token endpoint ${tokenUrl} refused client ${client.id}: ${res.statusCode} ${answerMessage(body)}`,
        {
          hint: 'Check target.clientId and target.clientSecret (the key ID and secret issued to this client), and target.auth.',
        },
      );
    }
    if (res.statusCode >= 300) {
      throw new UploadError(
        'UPLOAD_FAILED',
        `the token endpoint ${tokenUrl} answered ${res.statusCode}: ${answerMessage(body)}`,
        {
          details: { httpStatus: res.statusCode, retryable: res.statusCode === 429 || res.statusCode >= 500 },
        },
      );
    }
    const record = (raw && typeof raw === 'object' ? raw : {}) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof record.access_token !== 'string' || record.access_token === '') {
      throw new UploadError('UPLOAD_AUTH', `the token endpoint ${tokenUrl} answered without an access_token`);
    }
    // Redacted from everything from now on, even if it is refused below.
    this.onToken(record.access_token);
    // The token as sent (not the cleaned text): one with a line break or another control
    // character would be refused by the HTTP client (or smuggle a header), so it is a server
    // error, named, and never used.
    if (!TOKEN.test(record.access_token) || record.access_token.length > 16_384) {
      throw new UploadError(
        'UPLOAD_AUTH',
        `the token endpoint ${tokenUrl} answered with an access_token that is not a valid token (control characters, spaces or over 16 KB)`,
        { hint: "The token endpoint is misbehaving or is not the vendor's: check target.tokenUrl." },
      );
    }
    const lifetimeMs = (typeof record.expires_in === 'number' ? record.expires_in : 3600) * 1000;
    // Stop using a token a little before it expires: 30 s, or a tenth of a short lifetime.
    const margin = Math.min(30_000, lifetimeMs / 10);
    this.token = { value: record.access_token, usableUntil: started + lifetimeMs - margin };
    return record.access_token;
  }
}
