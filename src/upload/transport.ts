import { isIP } from 'node:net';
import tls from 'node:tls';

import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

/** What a dispatcher needs: TLS floor, extra CA, proxy and timeouts. */
export interface TransportSettings {
  /** Extra CA (PEM text), trusted besides the system roots. */
  ca: string | undefined;
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
 * One dispatcher for every request of a run: TLS 1.2+ (or 1.3), the system roots plus the
 * configured CA, verification always on. With a proxy, undici's EnvHttpProxyAgent picks per
 * origin: hosts named in NO_PROXY connect directly, others through the proxy, and both with
 * the same TLS rules (`connect` for direct connections, `requestTls` inside the tunnel). The
 * proxy and NO_PROXY are passed explicitly, so undici never reads process.env itself.
 * @param settings TLS floor, extra CA, proxy, NO_PROXY and timeouts
 */
export function createDispatcher(settings: TransportSettings): Dispatcher {
  const tlsOptions = {
    minVersion: settings.tlsMinVersion,
    rejectUnauthorized: true,
    timeout: settings.timeoutMs,
    ...(settings.ca ? { ca: [...tls.rootCertificates, settings.ca] } : {}),
  };
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
