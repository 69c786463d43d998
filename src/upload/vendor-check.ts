import { isIP } from 'node:net';
import tls from 'node:tls';

import type { ResolvedConfig } from '../config/types.js';
import { AdsyncError, UploadError, describeError } from '../errors.js';
import { errorCodeOf, isTlsFailure } from '../util/tls-error.js';
import { TokenSource } from './oauth.js';
import { uploadSettings, type UploadSettings } from './settings.js';
import { createDispatcher, redactUserinfo, vendorTls, vendorTlsError } from './transport.js';

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
  /** What check cannot verify without uploading. */
  note?: string | undefined;
  /** The step that failed. */
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
  return {
    code: 'UPLOAD_FAILED',
    message: `cannot reach ${url}: ${typeof code === 'string' ? `${code}: ` : ''}${describeError(error)}`,
    hint: settings.proxy
      ? `Check the address, the network and the proxy ${redactUserinfo(settings.proxy)}.`
      : 'Check the address, the network and any firewall between this machine and the vendor.',
  };
}

/**
 * The vendor side of `adsync check`: the endpoints are https:// (or loopback http:// with
 * `--insecure-http`), the TLS version the token endpoint negotiates, and that the token
 * endpoint issues a token for the client. Nothing is uploaded. Without the target's secrets it
 * is skipped, naming the variables that would enable it.
 * @param config the resolved config
 * @param options `--insecure-http`, the environment and token redaction
 */
export async function checkVendor(config: ResolvedConfig, options: VendorCheckOptions): Promise<VendorCheck> {
  const t = config.target;
  if (t.missing.length > 0) {
    return {
      status: 'skipped',
      skipped: "the target's secrets are not available",
      needs: [...new Set(t.missing.map((m) => (m.kind === 'env' ? m.name : `${m.key} (${m.name})`)))],
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
    return { status: 'failed', error: { code: error.code, message: error.message, hint: error.hint } };
  }
  const auth = settings.client ? 'oauth2' : 'api-key';
  const endpoints = [
    { key: 'uploadUrl' as const, url: settings.uploadUrl },
    ...(settings.tokenUrl ? [{ key: 'tokenUrl' as const, url: settings.tokenUrl }] : []),
  ];
  const result: VendorCheck = { status: 'ok', auth, endpoints };
  const probed = settings.tokenUrl ?? settings.uploadUrl;
  if (new URL(probed).protocol === 'http:') result.tlsNote = `${probed} is plain http:// (--insecure-http)`;
  else if (settings.proxy)
    result.tlsNote = `not measured: connections go through the proxy ${redactUserinfo(settings.proxy)}`;
  else {
    try {
      result.tls = { url: probed, version: await handshake(probed, settings) };
    } catch (error) {
      return { ...result, status: 'failed', error: failure(error, probed, settings) };
    }
  }
  if (!settings.client || !settings.tokenUrl) {
    result.note =
      'an API key is sent only with an upload, so check cannot verify it without uploading; the first push (or its error) will';
    return result;
  }
  const dispatcher = createDispatcher(settings);
  try {
    await new TokenSource(settings, dispatcher, options.onToken).get(AbortSignal.timeout(settings.timeoutMs));
    result.token = { url: settings.tokenUrl, clientId: settings.client.id };
  } catch (error) {
    const failed = error instanceof UploadError ? error : undefined;
    return {
      ...result,
      status: 'failed',
      error: failed
        ? { code: failed.code, message: failed.message, hint: failed.hint }
        : failure(error, settings.tokenUrl, settings),
    };
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
  return result;
}
