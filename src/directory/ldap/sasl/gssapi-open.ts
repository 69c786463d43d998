import type * as net from 'node:net';
import type * as tls from 'node:tls';

import { DirectoryError } from '../../../errors.js';
import type { TlsVersion } from '../../types.js';
import { connectError } from '../errors.js';
import { notLdapError, type FirstBytes } from '../scheme-probe.js';
import type { KerberosSettings } from '../settings.js';
import { gssapiConnect, type GssapiConnection } from './gssapi-bind.js';
import { gssProvider } from './gss-provider.js';

/** What {@link gssapiOpen} needs of the directory's settings and of the URL being tried. */
export interface GssapiOpenOptions {
  url: string;
  host: string;
  secure: boolean;
  kerberos: KerberosSettings;
  tls: tls.ConnectionOptions;
  connectTimeoutMs: number;
  timeoutMs: number;
  caFile?: string | undefined;
  trustSystemStore?: boolean | undefined;
  tlsMinVersion: TlsVersion;
  /** Watches the first bytes of the plain socket, to tell a web server from an LDAP one. */
  firstBytes: FirstBytes;
}

/**
 * Open a connection and bind it with Kerberos. A server that cannot be reached, or a TLS
 * failure, reads as for any bind (the same messages, codes and failover).
 * @param options the URL and the directory's settings
 */
export async function gssapiOpen(options: GssapiOpenOptions): Promise<GssapiConnection> {
  const { url, host, secure, connectTimeoutMs, timeoutMs, kerberos } = options;
  const port = Number(new URL(url).port || (secure ? 636 : 389));
  try {
    const target = { url, host, port, secure, tls: options.tls, connectTimeoutMs, timeoutMs, kerberos };
    return await gssapiConnect(target, await gssProvider(), options.firstBytes);
  } catch (error) {
    if (error instanceof DirectoryError) throw error;
    if (options.firstBytes.notLdap) throw notLdapError(url, options.firstBytes.notLdap, error);
    const { caFile, tlsMinVersion } = options;
    throw connectError(error, {
      ...{ url, phase: 'connect', bindDN: undefined, caFile, tlsMinVersion },
      trustSystemStore: options.trustSystemStore ?? true,
    });
  }
}

/**
 * ldapts's connection factories for a socket that is already open and bound: ldapts takes it
 * as connected. A second call means ldapts is reconnecting after the socket closed, which
 * would lose the bind: refused, so the search fails instead of running unauthenticated.
 * @param socket the bound socket
 * @param url its server, for the message
 */
export function handOver(
  socket: tls.TLSSocket,
  url: string,
): { createConnection: typeof net.connect; createSecureConnection: typeof tls.connect } {
  let given = false;
  const once = (): tls.TLSSocket => {
    if (given)
      throw new DirectoryError('LDAP_CONNECT', `the Kerberos-bound connection to ${url} was lost`, {
        hint: 'The server or the network closed the connection; run again.',
      });
    given = true;
    return socket;
  };
  return { createConnection: once, createSecureConnection: once };
}

/** How a Kerberos session is shown: the server's Who am I? answer and the SPN. */
export const gssapiIdentity = (connection: GssapiConnection): string =>
  `${connection.identity?.replace(/^dn:/, '') || 'an unnamed identity'} (Kerberos, ${connection.spn})`;
