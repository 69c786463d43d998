import { isIP } from 'node:net';
import tls from 'node:tls';

import type { Dispatcher } from 'undici';

import type { ResolvedConfig } from '../config/types.js';
import { AdsyncError, UploadError, describeError } from '../errors.js';
import { errorCodeOf, isTlsFailure } from '../util/tls-error.js';
import { VENDORS } from '../vendors/registry.js';
import { TokenSource } from './oauth.js';
import { uploadSettings, type UploadSettings } from './settings.js';
import { createDispatcher, redactUserinfo, vendorTls, vendorTlsError } from './transport.js';
import { probeUploadUrl, type UploadProbe } from './upload-probe.js';

/** What `adsync check` found about the vendor side, without uploading anything. */
export interface VendorCheck {
  /** ok: every step passed; failed: one did (see error); skipped: not attempted (see skipped). */
  status: 'ok' | 'failed' | 'skipped';
  /** Why the vendor part was not checked. */
  skipped?: string | undefined;
  /** The variables (or secret files) that would let check do it. */
  needs?: string[] | undefined;
  /** How adsync authenticates to the vendor. */
  auth?: 'oauth2' | 'api-key' | undefined;
  /** The endpoints found acceptable (https, or loopback http with --insecure-http). */
  endpoints?: { key: 'uploadUrl' | 'tokenUrl'; url: string }[] | undefined;
  /** The TLS handshake with the token endpoint (the upload endpoint for an API key). */
  tls?: { url: string; version: string } | undefined;
  /** Why the TLS version was not measured (a proxy in between). */
  tlsNote?: string | undefined;
  /** OAuth2: a token was issued for the client. */
  token?: { url: string; clientId: string } | undefined;
  /** The probe of the upload URL (an OPTIONS request, nothing uploaded), when it was made. */
  upload?: UploadProbe | undefined;
  /** What check cannot verify without uploading. */
  note?: string | undefined;
  /** Which step failed: the later ones were not made. */
  failedStep?: 'settings' | 'tls' | 'token' | 'upload' | undefined;
  /** What that step's failure was. */
  error?: { code: string; message: string; hint?: string | undefined } | undefined;
}

/** Options for {@link checkVendor}. */
export interface VendorCheckOptions {
  /** `--insecure-http`: allow http:// endpoints on loopback. */
  insecureHttp: boolean;
  /** Environment (HTTPS_PROXY, NO_PROXY). */
  env: NodeJS.ProcessEnv;
  /** Told every token issued, so output can redact it. */
  onToken: (token: string) => void;
  /** Ends the vendor check's requests (the run's time limit, a signal). */
  signal?: AbortSignal | undefined;
}

/** The TLS version a direct handshake with an endpoint negotiates, with the upload's rules. */
function handshake(url: string, settings: UploadSettings): Promise<string> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...vendorTls(settings),
    });
    socket.setTimeout(settings.timeoutMs, () => {
      socket.destroy(
        Object.assign(new Error(`no TLS handshake within ${settings.timeoutMs} ms`), { code: 'ETIMEDOUT' }),
      );
    });
    socket.once('secureConnect', () => {
      const version = socket.getProtocol() ?? 'unknown';
      socket.end();
      resolve(version);
    });
    socket.once('error', reject);
  });
}

function failure(error: unknown, url: string, settings: UploadSettings): VendorCheck['error'] {
  if (error instanceof AdsyncError) return { code: error.code, message: error.message, hint: error.hint };
  if (isTlsFailure(error)) {
    const tlsError = vendorTlsError(error, url, settings);
    return { code: tlsError.code, message: tlsError.message, hint: tlsError.hint };
  }
  const code = errorCodeOf(error);
  // The request's own limit (AbortSignal.timeout), or undici's timeouts set to the same value.
  const late =
    (error instanceof Error && error.name === 'TimeoutError') ||
    (typeof code === 'string' && /^UND_ERR_(CONNECT|HEADERS|BODY)_TIMEOUT$/.test(code));
  if (late)
    return {
      code: 'UPLOAD_FAILED',
      message: `no answer from ${url} within ${settings.timeoutMs / 1000} s (target.timeoutSeconds)`,
      hint: 'The vendor or the network is slow, or a firewall drops the connection: raise target.timeoutSeconds if it is only slow. Nothing was uploaded.',
    };
  return {
    code: 'UPLOAD_FAILED',
    message: `cannot reach ${url}: ${typeof code === 'string' ? `${code}: ` : ''}${describeError(error)}`,
    hint: settings.proxy
      ? `Check the address, the network and the proxy ${redactUserinfo(settings.proxy)}.`
      : 'Check the address, the network and any firewall between this machine and the vendor.',
  };
}

/** A request's limit: the endpoint's time limit and the run's. */
function limitOf(settings: UploadSettings, options: VendorCheckOptions): AbortSignal {
  return AbortSignal.any([
    AbortSignal.timeout(settings.timeoutMs),
    ...(options.signal ? [options.signal] : []),
  ]);
}

/** A request that threw, as the vendor check's error (the run's own stop is thrown on). */
function stepFailure(
  error: unknown,
  url: string,
  settings: UploadSettings,
  options: VendorCheckOptions,
): VendorCheck['error'] {
  if (options.signal?.aborted) throw options.signal.reason as Error;
  return failure(error, url, settings);
}

/** How check names a secret it lacks: a variable by its name, a file or credential with its key. */
const needed = (m: ResolvedConfig['target']['missing'][number]): string =>
  m.kind === 'env' ? m.name : `${m.key} (${m.kind === 'credential' ? `\${credential:${m.name}}` : m.name})`;

/**
 * The vendor side of `adsync check`: the TLS version the token endpoint negotiates, that it
 * issues a token for the client, and that the upload URL exists (an OPTIONS request with the
 * token or API key, see upload-probe.ts). Nothing is uploaded. Without the target's secrets it
 * is skipped, naming the variables that would enable it.
 * @param config the resolved config
 * @param options `--insecure-http`, the environment, token redaction and the run's limit
 */
export async function checkVendor(config: ResolvedConfig, options: VendorCheckOptions): Promise<VendorCheck> {
  const t = config.target;
  if (t.missing.length > 0) {
    return {
      status: 'skipped',
      skipped: "the target's secrets are not available",
      needs: [...new Set(t.missing.map(needed))],
    };
  }
  if (t.uploadUrl === undefined) {
    return { status: 'skipped', skipped: 'target.uploadUrl is not set (this config only writes CSVs)' };
  }
  let settings: UploadSettings;
  try {
    settings = uploadSettings(config, { insecureHttp: options.insecureHttp, env: options.env });
  } catch (error) {
    if (!(error instanceof AdsyncError)) throw error;
    return {
      status: 'failed',
      failedStep: 'settings',
      error: { code: error.code, message: error.message, hint: error.hint },
    };
  }
  const endpoints = [
    { key: 'uploadUrl' as const, url: settings.uploadUrl },
    ...(settings.tokenUrl ? [{ key: 'tokenUrl' as const, url: settings.tokenUrl }] : []),
  ];
  const result: VendorCheck = { status: 'ok', auth: settings.client ? 'oauth2' : 'api-key', endpoints };
  const probed = settings.tokenUrl ?? settings.uploadUrl;
  if (new URL(probed).protocol === 'http:') result.tlsNote = `${probed} is plain http:// (--insecure-http)`;
  else if (settings.proxy)
    result.tlsNote = `not measured: connections go through the proxy ${redactUserinfo(settings.proxy)}`;
  else {
    try {
      result.tls = { url: probed, version: await handshake(probed, settings) };
    } catch (error) {
      return {
        ...result,
        status: 'failed',
        failedStep: 'tls',
        error: stepFailure(error, probed, settings, options),
      };
    }
  }
  const dispatcher = createDispatcher(settings);
  try {
    const headers = await credentials(settings, dispatcher, options, result);
    if (headers === undefined) return result;
    return await probeUpload(config, settings, { dispatcher, headers, options, result });
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

/**
 * The headers an upload would authenticate with: a token fetched from the token endpoint (said
 * in `result.token`), or the API key. Undefined when the token step failed (said in `result`).
 */
async function credentials(
  settings: UploadSettings,
  dispatcher: Dispatcher,
  options: VendorCheckOptions,
  result: VendorCheck,
): Promise<Record<string, string> | undefined> {
  if (!settings.client || !settings.tokenUrl)
    return settings.apiKey ? { [settings.apiKey.header]: settings.apiKey.value } : {};
  try {
    const token = await new TokenSource(settings, dispatcher, options.onToken).get(
      limitOf(settings, options),
    );
    result.token = { url: settings.tokenUrl, clientId: settings.client.id };
    return { authorization: `Bearer ${token}` };
  } catch (error) {
    result.status = 'failed';
    result.failedStep = 'token';
    result.error =
      error instanceof UploadError
        ? { code: error.code, message: error.message, hint: error.hint }
        : stepFailure(error, settings.tokenUrl, settings, options);
    return undefined;
  }
}

/**
 * Probe the upload URL with the credentials and judge the answer: a path that does not exist or
 * credentials refused fail the check; an answer that proves nothing is said as such, never as ✔.
 */
async function probeUpload(
  config: ResolvedConfig,
  settings: UploadSettings,
  step: {
    dispatcher: Dispatcher;
    headers: Record<string, string>;
    options: VendorCheckOptions;
    result: VendorCheck;
  },
): Promise<VendorCheck> {
  const { result, options } = step;
  const url = settings.uploadUrl;
  const byKey = settings.apiKey !== undefined;
  let probe: UploadProbe;
  try {
    probe = await probeUploadUrl(url, {
      dispatcher: step.dispatcher,
      headers: step.headers,
      credentials: byKey ? 'api-key' : 'token',
      signal: limitOf(settings, options),
    });
  } catch (error) {
    return {
      ...result,
      status: 'failed',
      failedStep: 'upload',
      error: stepFailure(error, url, settings, options),
    };
  }
  const published = VENDORS[config.target.profile].delivery.uploadUrl;
  if (probe.verdict === 'not-found' && published === url) {
    // The vendor's own URL is no typo: its server must answer 404 to what is not an upload.
    result.upload = {
      ...probe,
      verdict: 'unverified',
      checked: `${probe.checked}, yet it is ${VENDORS[config.target.profile].title}'s published upload URL: this server seems to answer ${probe.httpStatus} to anything but an upload, so the path is not verified`,
    };
    return result;
  }
  result.upload = probe;
  if (probe.verdict === 'not-found') {
    const message = `target.uploadUrl ${url}: ${probe.checked}: the server has no such path`;
    const error = { code: 'UPLOAD_REJECTED', message };
    return {
      ...result,
      status: 'failed',
      failedStep: 'upload',
      error: { ...error, hint: notFoundHint(config) },
    };
  }
  if (probe.verdict === 'refused') {
    const hint = settings.apiKey
      ? `Check target.apiKey (the key the vendor issued for this account; sent in the ${settings.apiKey.header} header, target.apiKeyHeader). Nothing was uploaded.`
      : 'The token endpoint and the upload URL must belong to the same vendor account and environment (target.tokenUrl, target.uploadUrl), and the client must be allowed to upload (target.scope). Nothing was uploaded.';
    const what = settings.apiKey ? 'the API key' : `the token ${settings.tokenUrl ?? ''} issued`;
    return {
      ...result,
      status: 'failed',
      failedStep: 'upload',
      error: {
        code: 'UPLOAD_AUTH',
        message: `the upload URL ${url} refused ${what}: ${probe.checked}`,
        hint,
      },
    };
  }
  if (byKey)
    result.note =
      'the API key was sent with the OPTIONS request and not refused; whether the vendor takes it for an upload only an upload shows (the first push, or its error, will)';
  return result;
}

/** What to do about an upload URL whose path the vendor does not know, per profile. */
function notFoundHint(config: ResolvedConfig): string {
  const vendor = VENDORS[config.target.profile];
  const { uploadUrl: published, uploadUrlSource: source } = vendor.delivery;
  const fix =
    published === undefined
      ? `copy it from ${source ?? "the vendor's integration documentation"}`
      : `${vendor.title}'s published upload URL is ${published} (${source ?? 'its documentation'})`;
  return `Check the path of target.uploadUrl for a typo: ${fix}. The host answered; it is the path it does not know. Nothing was uploaded.`;
}
