import tls from 'node:tls';

import { Agent, ProxyAgent, type Dispatcher } from 'undici';

/** What a dispatcher needs: TLS floor, extra CA, proxy and timeouts. */
export interface TransportSettings {
  /** Extra CA (PEM text), trusted besides the system roots. */
  ca: string | undefined;
  /** Lowest TLS version. */
  tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Proxy URL, if any. */
  proxy: string | undefined;
  /** Connect/headers/body timeout in ms. */
  timeoutMs: number;
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
