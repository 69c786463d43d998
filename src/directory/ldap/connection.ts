import { isLoopbackHost } from '../../util/loopback.js';
import type { ConnectionInfo } from '../types.js';

/**
 * A server connection with the lines that tell of it: progress, `adsync check`, and the warning
 * for a password bind over a plain connection to a host other than this one.
 * @param info the connection made
 */
export function described(
  info: Pick<ConnectionInfo, 'url' | 'tlsVersion' | 'boundAs' | 'failedOver'>,
): ConnectionInfo {
  const { url, tlsVersion, boundAs } = info;
  const plainBind =
    tlsVersion === undefined && boundAs !== 'anonymous' && !isLoopbackHost(new URL(url).hostname);
  return {
    ...info,
    summary: `connected to ${url}${tlsVersion ? ` (${tlsVersion})` : ' (no TLS)'} as ${boundAs}`,
    checked: `reachable, ${tlsVersion ?? 'no TLS'}, bound as ${boundAs}`,
    ...(plainBind
      ? { warning: `the bind password went to ${url} without TLS: use ldaps:// or directory.startTLS: true` }
      : {}),
  };
}
