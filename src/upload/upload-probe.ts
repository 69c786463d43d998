import { request, type Dispatcher } from 'undici';

import { serverExcerpt } from '../util/server-text.js';
import { ACCEPT_IDENTITY } from './content-encoding.js';
import { answerMessage, readAnswer } from './vendor-summary.js';

/**
 * `adsync check`'s probe of the upload URL: does the path exist, without uploading anything?
 *
 * The probe is an OPTIONS request with the credentials an upload would carry and no body. The
 * same probe serves every profile: neither The Receptionist's nor iLobby's documents (the seeds)
 * describe any request but the upload itself, and an upload, even an empty or malformed one,
 * could be read as an address book with nobody in it, which archives every contact. OPTIONS is the
 * request HTTP defines for asking a resource what it allows; it never changes data and carries no
 * file. What a server answers to it is HTTP's, not a vendor's:
 * - 405 Method Not Allowed: the server knows the path but does not take OPTIONS there (ASP.NET
 *   Core, which iLobby's `/auth/connect/token` suggests, Django, Go's mux, …): the path exists.
 * - 2xx with an `Allow` header naming POST (Express, Flask, Spring, …): the path exists and takes
 *   an upload. A 2xx without one proves nothing: a web page or a catch-all answers any path.
 * - 404 or 410: no such path (a typo in target.uploadUrl).
 * - 401 or 403: the credentials were refused (or the server hides its paths from strangers).
 * - anything else (a redirect, 429, 5xx): not verified, and said so.
 * How the real vendors answer OPTIONS is not documented; a vendor whose framework answers 404 to
 * every method but POST (Rails does by default) would make a right URL look wrong, which check's
 * hint says.
 */

/** What the probe of the upload URL found. */
export interface UploadProbe {
  /** The URL probed (target.uploadUrl). */
  url: string;
  /** The request sent: OPTIONS with the upload's credentials and no body. */
  method: 'OPTIONS';
  /**
   * exists: the server knows the path; not-found: 404 or 410; refused: 401 or 403 (the
   * credentials); unverified: an answer that proves neither.
   */
  verdict: 'exists' | 'not-found' | 'refused' | 'unverified';
  /** Whether the path is verified to exist (verdict `exists`): the only case check shows ✔. */
  verified: boolean;
  /** The status answered. */
  httpStatus: number;
  /** The Allow header, when sent (cleaned for display). */
  allow?: string | undefined;
  /** What was checked and what the answer means, in words, for the report. */
  checked: string;
}

/** What a request's credentials are, for the words of the report. */
export type ProbeCredentials = 'token' | 'api-key';

function headerText(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text === undefined ? undefined : serverExcerpt(text, 120);
}

/**
 * The verdict on an answer to the probe (pure: see the module's comment for why).
 * @param status the status answered
 * @param allow the Allow header, if any
 */
export function probeVerdict(status: number, allow: string | undefined): UploadProbe['verdict'] {
  if (status === 404 || status === 410) return 'not-found';
  if (status === 401 || status === 403) return 'refused';
  if (status === 405) return 'exists';
  const allowsPost = (allow ?? '').split(',').some((m) => m.trim().toUpperCase() === 'POST');
  return status >= 200 && status < 300 && allowsPost ? 'exists' : 'unverified';
}

function checkedText(
  probe: Pick<UploadProbe, 'verdict' | 'httpStatus' | 'allow'>,
  details: { with: string; location: string | undefined; message: string },
): string {
  const { verdict, httpStatus: status, allow } = probe;
  const asked = `OPTIONS ${details.with} answered ${status}`;
  const allowed = allow === undefined ? '' : ` (Allow: ${allow})`;
  const said = details.message === '' ? '' : `: ${details.message}`;
  switch (verdict) {
    case 'exists':
      return status === 405
        ? `${asked} Method Not Allowed${allowed}: the server knows the path; nothing was uploaded`
        : `${asked}${allowed}: the path takes POST; nothing was uploaded`;
    case 'not-found':
    case 'refused':
      return `${asked}${said}`;
    case 'unverified':
      if (status >= 300 && status < 400)
        return `${asked}, a redirect${details.location ? ` to ${details.location}` : ''}, not the upload endpoint's answer: the path is not verified`;
      if (status >= 200 && status < 300)
        return `${asked}${allow === undefined ? ' without an Allow header' : ` with Allow: ${allow}, not naming POST`}: a web page or a catch-all answers any path, so the path is not verified`;
      return `${asked}${said}: the path is not verified`;
  }
}

/**
 * Probe the upload URL: an OPTIONS request with the upload's credentials and no body, on the
 * run's dispatcher (its TLS rules and proxy). Throws what the request throws (network, TLS,
 * the time limit); the caller words those.
 * @param url target.uploadUrl
 * @param options the dispatcher, the credential headers, what they are, and the request's limit
 * @param options.dispatcher the run's dispatcher
 * @param options.headers the credential headers an upload would send (bearer token or API key)
 * @param options.credentials what those headers carry, for the report's words
 * @param options.signal ends the request (its time limit, the run's stop)
 */
export async function probeUploadUrl(
  url: string,
  options: {
    dispatcher: Dispatcher;
    headers: Record<string, string>;
    credentials: ProbeCredentials;
    signal: AbortSignal;
  },
): Promise<UploadProbe> {
  const res = await request(url, {
    method: 'OPTIONS',
    headers: { accept: 'application/json', ...ACCEPT_IDENTITY, ...options.headers },
    dispatcher: options.dispatcher,
    signal: options.signal,
  });
  const answer = await readAnswer(res);
  const allow = headerText(res.headers.allow);
  const verdict = probeVerdict(res.statusCode, allow);
  const probe = { verdict, httpStatus: res.statusCode, allow };
  const checked = checkedText(probe, {
    with: options.credentials === 'token' ? 'with the token' : 'with the API key',
    location: headerText(res.headers.location),
    message: answer.bytes === 0 ? '' : answerMessage(answer.body),
  });
  return { url, method: 'OPTIONS', ...probe, verified: verdict === 'exists', checked };
}
