import { open, type FileHandle } from 'node:fs/promises';

import { request, type Dispatcher } from 'undici';

import { UploadError, describeError } from '../errors.js';
import { errorCodeOf, isTlsFailure } from '../util/tls-error.js';
import { sleep, untilStopped } from '../util/until-stopped.js';
import { uploadBody, type UploadFile } from './body.js';
import { ACCEPT_IDENTITY } from './content-encoding.js';
import { TokenSource } from './oauth.js';
import type { UploadSettings } from './settings.js';
import { createDispatcher, redactUserinfo, vendorTlsError } from './transport.js';
import {
  MAX_ANSWER_BYTES,
  answerMessage,
  readAnswer,
  recognisedImport,
  summaryDoubt,
  type Answer,
} from './vendor-summary.js';

export type { UploadFile } from './body.js';

/** Progress of an upload, for the terminal and logs (never with secrets). */
export type UploadEvent =
  | { type: 'token'; url: string }
  | { type: 'upload'; url: string; attempt: number }
  | { type: 'retry'; reason: string; waitMs: number; attempt: number };

/** What the vendor answered. */
export interface UploadResult {
  /** HTTP status of the accepted upload. */
  httpStatus: number;
  /** The vendor's answer: parsed JSON, or text (read it with `parseVendorSummary`). */
  summary: unknown;
  /** Attempts made. */
  attempts: number;
}

/** Hooks of {@link uploadCsv}. */
interface UploadHooks {
  onEvent?: ((event: UploadEvent) => void) | undefined;
  onToken: (token: string) => void;
  signal?: AbortSignal | undefined;
}

function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A 2xx answer that is not an import result adsync recognises, or one it cannot trust. */
function unconfirmed(settings: UploadSettings, status: number, answer: Answer): UploadError {
  const doubt = answer.truncated ? undefined : summaryDoubt(answer);
  const decoded = answer.encoding === undefined ? '' : ` (decoded from ${answer.encoding})`;
  const what =
    answer.undecodable !== undefined
      ? `an answer in ${answer.undecodable}`
      : answer.truncated
        ? `an answer over ${MAX_ANSWER_BYTES / 1024 / 1024} MB${answer.encoding === undefined ? '' : ` once decoded from ${answer.encoding}`}, not an import summary`
        : doubt !== undefined
          ? `an import summary that makes no sense (${doubt})`
          : answer.bytes === 0
            ? `an empty answer${decoded}, not an import summary`
            : `"${answerMessage(answer.body)}"${decoded}, not an import summary`;
  return new UploadError(
    'UPLOAD_UNCONFIRMED',
    `${settings.uploadUrl} answered ${status} with ${what}: adsync cannot tell whether the vendor imported the file`,
    {
      hint:
        doubt !== undefined
          ? "The vendor may have imported the file, but its counts cannot be taken as its word. The baseline did not move: check the vendor's import log and address book for this upload before pushing again."
          : answer.undecodable !== undefined
            ? "adsync asks for an unencoded answer (Accept-Encoding: identity) and decodes gzip, deflate and br; a proxy in between, or the vendor, encoded it otherwise. The baseline did not move: check the vendor's import log for this upload, and the proxy's settings."
            : settings.expectEmptyResponse
              ? 'target.expectEmptyResponse is set, but the answer was not empty: check target.uploadUrl (a proxy or login page in between?).'
              : 'Check target.uploadUrl (a captive portal, proxy or login page answers 200 too). If this vendor is documented to answer an accepted upload with an empty body, set target.expectEmptyResponse: true. The baseline did not move.',
      details: { httpStatus: status },
    },
  );
}

/**
 * An answer that began with a 2xx status but did not arrive whole (cut short, timed out): the
 * vendor had the whole file and may have imported it, so it is never sent again.
 */
function brokenAnswer(settings: UploadSettings, status: number, why: string, cause: unknown): UploadError {
  return new UploadError(
    'UPLOAD_UNCONFIRMED',
    `${settings.uploadUrl} answered ${status}, but its answer did not arrive whole (${why}): the vendor may have imported the file; adsync cannot tell, so it did not send it again`,
    {
      hint: "The baseline did not move. Check the vendor's import log and address book for this upload before pushing again; the next push is planned against the last confirmed one.",
      details: { httpStatus: status },
      cause,
    },
  );
}

function networkProblem(error: unknown): { tls: boolean; text: string } {
  const code = errorCodeOf(error);
  return {
    tls: isTlsFailure(error),
    text: `${typeof code === 'string' ? `${code}: ` : ''}${describeError(error)}`,
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
  hooks: UploadHooks,
): Promise<UploadResult> {
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

/** What one request came to, short of a result: retry after a wait, or at once (a fresh token). */
type Retry = { retryAfterMs: number | undefined; now?: false } | { now: true };

/** One upload's attempts: the state they share (token refresh, last failure, acceptance). */
class Attempts {
  /** Set by the body stream when the file is not the planned one. */
  private changed = false;
  private refreshed = false;
  /** The last failure, for the message after the last attempt. */
  public last = '';
  /** The endpoint being talked to, so a failure names the right host. */
  private at: string;
  /** The 2xx status an answer began with: from then on the file is never sent again. */
  private accepted: number | undefined;

  public constructor(
    private readonly settings: UploadSettings,
    private readonly file: UploadFile,
    private readonly handle: FileHandle,
    private readonly hooks: UploadHooks,
    private readonly dispatcher: Dispatcher,
    private readonly tokens: TokenSource | undefined,
  ) {
    this.at = settings.uploadUrl;
  }

  /** Progress, when asked for. */
  public emit(event: UploadEvent): void {
    this.hooks.onEvent?.(event);
  }

  /** The authorization headers: a bearer token (fetched or cached), or the API key. */
  private async credentials(limits: AbortSignal): Promise<Record<string, string>> {
    const { settings, tokens } = this;
    if (tokens) {
      if (settings.tokenUrl) {
        this.at = settings.tokenUrl;
        this.emit({ type: 'token', url: settings.tokenUrl });
      }
      const token = await untilStopped(tokens.get(limits), limits);
      this.at = settings.uploadUrl;
      return { authorization: `Bearer ${token}` };
    }
    return settings.apiKey ? { [settings.apiKey.header]: settings.apiKey.value } : {};
  }

  /**
   * One request: the vendor's confirmed import, or when to try again; throws what ends the
   * upload (a 4xx, an answer that is not an import result).
   */
  public async send(attempt: number, limits: AbortSignal): Promise<UploadResult | Retry> {
    const { settings } = this;
    const headers = { accept: 'application/json', ...ACCEPT_IDENTITY, ...(await this.credentials(limits)) };
    this.emit({ type: 'upload', url: settings.uploadUrl, attempt });
    const body = uploadBody(this.handle, this.file, {
      format: settings.format,
      fileField: settings.fileField,
      changed: () => {
        this.changed = true;
      },
    });
    const res = await request(settings.uploadUrl, {
      method: 'POST',
      headers: { ...headers, ...body.headers },
      body: body.body,
      dispatcher: this.dispatcher,
      signal: limits,
    });
    if (res.statusCode >= 200 && res.statusCode < 300) this.accepted = res.statusCode;
    const answer = await readAnswer(res);
    if (this.accepted !== undefined) {
      if (recognisedImport(answer, settings.expectEmptyResponse))
        return { httpStatus: res.statusCode, summary: answer.body, attempts: attempt };
      // Not retried: the vendor may have imported the file. Not a success either: a login
      // page or a captive portal answers 200 too, and the baseline must not move on it.
      throw unconfirmed(settings, this.accepted, answer);
    }
    this.last = `${res.statusCode} ${answerMessage(answer.body)}`;
    if (res.statusCode === 401 && this.tokens && !this.refreshed) {
      this.refreshed = true;
      this.tokens.invalidate();
      this.emit({ type: 'retry', reason: '401: getting a fresh token', waitMs: 0, attempt });
      return { now: true };
    }
    if (res.statusCode !== 429 && res.statusCode < 500) {
      throw new UploadError(
        'UPLOAD_REJECTED',
        `the vendor rejected the upload to ${settings.uploadUrl}: ${this.last}`,
        {
          hint:
            res.statusCode === 401
              ? 'The token was refused even after a fresh one: check that this client may upload.'
              : "Nothing was imported. Read the vendor's message above; the CSV is kept for inspection.",
          details: { httpStatus: res.statusCode },
        },
      );
    }
    return { retryAfterMs: retryAfterMs(res.headers['retry-after'], Date.now()) };
  }

  /**
   * What a failed request means: thrown when it ends the upload (a stop, a changed file, a broken
   * answer after acceptance, the deadline, TLS, the proxy), else noted for the next attempt.
   */
  public failed(error: unknown, limits: { request: AbortSignal; overall: AbortSignal }): void {
    const { settings, hooks } = this;
    if (hooks.signal?.aborted) throw hooks.signal.reason as Error;
    if (this.changed)
      throw new UploadError(
        'UPLOAD_FAILED',
        `the CSV ${this.file.path} changed on disk after it was planned; the upload was stopped before its end`,
        { hint: 'Another process modified the file. Nothing complete was sent; run again.' },
      );
    const late = limits.request.aborted
      ? `no complete answer within ${settings.timeoutMs / 1000} s (target.timeoutSeconds)`
      : undefined;
    if (this.accepted !== undefined) {
      if (error instanceof UploadError) throw error;
      const why =
        late ??
        (limits.overall.aborted
          ? `no complete answer within ${settings.deadlineMs / 1000} s (target.retries.maxSeconds)`
          : networkProblem(error).text);
      throw brokenAnswer(settings, this.accepted, why, error);
    }
    if (limits.overall.aborted) throw this.pastDeadline(error);
    if (error instanceof UploadError) {
      if (error.details?.retryable !== true) throw error;
      this.last = error.message;
      return;
    }
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
    if (problem.tls) throw vendorTlsError(error, this.at, settings);
    this.last = late ?? problem.text;
  }

  /** The upload ran out of its whole time (target.retries.maxSeconds). */
  private pastDeadline(cause: unknown): UploadError {
    const { settings, last } = this;
    return new UploadError(
      'UPLOAD_FAILED',
      `the upload to ${settings.uploadUrl} did not complete within ${settings.deadlineMs / 1000} s (target.retries.maxSeconds)${last ? `; last: ${last}` : ''}`,
      {
        hint: 'The vendor or the network is too slow or keeps failing. The vendor may have imported the file; the baseline did not move, so the next push compares against the last confirmed one.',
        cause,
      },
    );
  }
}

async function uploadWith(
  settings: UploadSettings,
  file: UploadFile,
  handle: FileHandle,
  hooks: UploadHooks,
): Promise<UploadResult> {
  const { signal } = hooks;
  const dispatcher = createDispatcher(settings);
  const tokens = settings.client ? new TokenSource(settings, dispatcher, hooks.onToken) : undefined;
  const attempts = new Attempts(settings, file, handle, hooks, dispatcher, tokens);
  const deadline = Date.now() + settings.deadlineMs;
  // retries.maxSeconds bounds the whole upload, a request in flight included; timeoutSeconds
  // each request, its whole answer included (undici's own timeouts are between bytes: a vendor
  // sending one byte a second never trips them).
  const overall = AbortSignal.timeout(settings.deadlineMs);
  try {
    for (let attempt = 1; attempt <= settings.attempts; attempt++) {
      let waitMs = Math.min(30_000, settings.baseDelayMs * 2 ** (attempt - 1));
      waitMs = Math.round(waitMs * (0.5 + Math.random() / 2));
      const thisRequest = AbortSignal.timeout(settings.timeoutMs);
      const limits = AbortSignal.any([overall, thisRequest, ...(signal ? [signal] : [])]);
      try {
        const sent = await attempts.send(attempt, limits);
        if ('httpStatus' in sent) return sent;
        if (sent.now === true) {
          attempt--; // the one retry after a refresh does not use up an attempt
          continue;
        }
        waitMs = Math.max(waitMs, sent.retryAfterMs ?? 0);
      } catch (error) {
        attempts.failed(error, { request: thisRequest, overall });
      }
      if (attempt === settings.attempts || Date.now() + waitMs > deadline) break;
      attempts.emit({ type: 'retry', reason: attempts.last, waitMs, attempt });
      await sleep(waitMs, AbortSignal.any([overall, ...(signal ? [signal] : [])])).catch((error: unknown) => {
        if (signal?.aborted) throw signal.reason as Error;
        if (!overall.aborted) throw error;
      });
      if (overall.aborted) break;
    }
    throw new UploadError(
      'UPLOAD_FAILED',
      `upload to ${settings.uploadUrl} failed after retrying: ${attempts.last}`,
      {
        hint: 'The vendor or the network kept failing. Nothing may have been imported; run again later (the CSV is kept).',
      },
    );
  } finally {
    // close() would wait for a request still in flight (a stopped run must not); destroy() ends it.
    await (signal?.aborted ? dispatcher.destroy() : dispatcher.close()).catch(() => undefined);
  }
}
