import { request, type Dispatcher } from 'undici';

import { UploadError } from '../errors.js';
import type { UploadSettings } from './settings.js';
import { answerMessage, readAnswer } from './vendor-summary.js';

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
    const body = await readAnswer(res);
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
