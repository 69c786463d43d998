import { isIP } from 'node:net';

import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

import { UploadError, describeError } from '../errors.js';
import { errorCodeOf } from '../util/tls-error.js';
import { trustedCas } from '../util/trusted-cas.js';

/** What a dispatcher needs: TLS floor, extra CA, proxy and timeouts. */
export interface TransportSettings {
  /** Extra CA (PEM text), trusted besides Node's roots and the system store. */
  ca: string | undefined;
  /** Trust the operating system's certificate store (default yes). */
  trustSystemStore?: boolean | undefined;
  /** Lowest TLS version. */
  tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Proxy URL (target.proxy, else HTTPS_PROXY), if any. */
  proxy: string | undefined;
  /** Hosts that never see the proxy (NO_PROXY), as written. */
  noProxy?: string | undefined;
  /** Connect/headers/body timeout in ms. */
  timeoutMs: number;
}

/**
 * NO_PROXY in the form undici's EnvHttpProxyAgent matches. undici itself splits on commas and
 * whitespace, and handles `*.vendor.com` (subdomains), `.vendor.com` and `vendor.com` (the domain
 * and its subdomains), `host:443` (that port only), a trailing dot on either side, `*`, and `::1`
 * or `[::1]` for a `[::1]` URL. Two forms would still send an excluded host through the proxy,
 * which the vendor's rule (data travels directly) forbids, so they are rewritten first:
 * - undici compares IPv6 entries with the URL's host as text, and URLs serialise IPv6 in the
 *   compressed form: `0:0:0:0:0:0:0:1` or `[0::1]:443` would never match `[::1]`. IPv6 entries
 *   are rewritten to that same form.
 * - A `;`-separated list (the Windows proxy bypass notation) would be one entry that matches
 *   nothing: `;` separates entries too.
 * @param value NO_PROXY as set
 */
export function normalizeNoProxy(value: string): string {
  const canonical = (ipv6: string): string => new URL(`http://[${ipv6}]/`).hostname;
  return value
    .split(/[,;\s]+/)
    .filter(Boolean)
    .map((entry) => {
      const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
      const address = bracketed?.[1] ?? entry;
      if (isIP(address) !== 6) return entry;
      const port = bracketed?.[2];
      return port === undefined ? canonical(address) : `${canonical(address)}:${port}`;
    })
    .join(',');
}

/**
 * The TLS rules of every connection to a vendor or webhook endpoint: the floor, verification
 * always on, and the trusted CAs (Node's roots, the system store unless switched off, caFile).
 * Called when a run is about to talk to an HTTPS endpoint: the system store is read then.
 * @param settings TLS floor, caFile's text and the system store switch
 */
export function vendorTls(settings: Pick<TransportSettings, 'tlsMinVersion' | 'ca' | 'trustSystemStore'>): {
  minVersion: TransportSettings['tlsMinVersion'];
  rejectUnauthorized: true;
  ca: string[];
} {
  return {
    minVersion: settings.tlsMinVersion,
    rejectUnauthorized: true,
    ca: trustedCas({ systemStore: settings.trustSystemStore ?? true, extra: settings.ca }),
  };
}

/**
 * One dispatcher for every request of a run: TLS 1.2+ (or 1.3), the system roots plus the
 * configured CA, verification always on. With a proxy, undici's EnvHttpProxyAgent picks per
 * origin: hosts named in NO_PROXY connect directly, others through the proxy, and both with
 * the same TLS rules (`connect` for direct connections, `requestTls` inside the tunnel). The
 * proxy and NO_PROXY are passed explicitly, so undici never reads process.env itself.
 * @param settings TLS floor, extra CA, proxy, NO_PROXY and timeouts
 */
export function createDispatcher(settings: TransportSettings): Dispatcher {
  const tlsOptions = { ...vendorTls(settings), timeout: settings.timeoutMs };
  const timeouts = { headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs };
  if (settings.proxy) {
    return new EnvHttpProxyAgent({
      httpProxy: settings.proxy,
      httpsProxy: settings.proxy,
      noProxy: normalizeNoProxy(settings.noProxy ?? ''),
      connect: tlsOptions,
      requestTls: tlsOptions,
      ...timeouts,
    });
  }
  return new Agent({ connect: tlsOptions, ...timeouts });
}

/**
 * A proxy URL without its password, for messages.
 * @param url the proxy URL, if any
 */
export function redactUserinfo(url: string | undefined): string {
  if (!url) return '(none)';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(proxy)';
  }
}

/** Verification codes of a certificate this machine does not trust (self-signed, unknown CA). */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * What to do about a failed TLS connection to a vendor endpoint: the fix is in the config
 * (target.caFile, the URL's host name), not in Node's flags.
 * @param error the TLS failure
 * @param host the endpoint's host
 * @param caFile target.caFile, if set
 * @param tlsMinVersion the TLS floor
 * @param trustSystemStore whether the system's certificate store was trusted
 */
export function vendorTlsHint(
  error: unknown,
  host: string,
  caFile: string | undefined,
  tlsMinVersion: string,
  trustSystemStore = true,
): string {
  const code = String(errorCodeOf(error) ?? '');
  if (UNTRUSTED.has(code)) {
    const roots = trustSystemStore
      ? "Node's roots and the system's store"
      : "Node's roots; target.trustSystemStore is false, so not the system's store";
    return caFile
      ? `The certificate of ${host} does not verify against target.caFile ${caFile} (nor ${roots}): set target.caFile to the PEM file of the CA that issued the vendor's certificate.`
      : `The certificate of ${host} is not trusted by this machine (${roots}; self-signed, or issued by a private CA): set target.caFile to the PEM file of the CA that issued it (for adsync mock-server: the file its --ca-out wrote).`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `The certificate of ${host} is not issued for that name: use a host name the certificate lists in target.uploadUrl / target.tokenUrl.`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `The certificate of ${host} is outside its validity period: check this machine's clock, or ask the vendor to renew it.`;
  return `The vendor must offer ${tlsMinVersion} or newer with a certificate this machine trusts; for a private CA set target.caFile to the PEM file of that CA.`;
}

/**
 * The error for a TLS failure with a vendor endpoint, naming the host and the fix.
 * @param error the TLS failure
 * @param url the endpoint it happened at
 * @param settings target.caFile (as a path, for the hint) and the TLS floor
 * @param settings.caFile target.caFile, if set
 * @param settings.tlsMinVersion the TLS floor
 * @param settings.trustSystemStore whether the system's certificate store was trusted
 */
export function vendorTlsError(
  error: unknown,
  url: string,
  settings: { caFile?: string | undefined; tlsMinVersion: string; trustSystemStore?: boolean | undefined },
): UploadError {
  const code = errorCodeOf(error);
  const host = new URL(url).host;
  return new UploadError(
    'UPLOAD_TLS',
    `TLS with ${host} failed: ${typeof code === 'string' ? `${code}: ` : ''}${describeError(error)}`,
    {
      hint: vendorTlsHint(error, host, settings.caFile, settings.tlsMinVersion, settings.trustSystemStore),
      cause: error,
    },
  );
}
