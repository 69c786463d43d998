import * as net from 'node:net';
import * as tls from 'node:tls';

import { DirectoryError } from '../../../errors.js';
import type { KerberosSettings } from '../settings.js';
import { tlsServerEndPoint } from './channel-binding.js';
import { GssFailure, type GssProvider, type GssSession } from './gss.js';
import { kerberosError, saslBindError } from './gssapi-errors.js';
import { LdapWire, WireClosedError, type LdapResult } from './wire.js';

/** Where and how to open a GSSAPI-bound connection. */
export interface GssapiTarget {
  url: string;
  host: string;
  port: number;
  /** ldaps:// (else StartTLS on ldap://: a SASL bind without a security layer needs TLS). */
  secure: boolean;
  /** TLS options for the server (CA, minimum version, server name). */
  tls: tls.ConnectionOptions;
  connectTimeoutMs: number;
  timeoutMs: number;
  kerberos: KerberosSettings;
}

/** A socket bound with Kerberos, ready for ldapts, and who the server says we are. */
export interface GssapiConnection {
  socket: tls.TLSSocket;
  /** The server's Who am I? answer (RFC 4532), e.g. `dn:uid=svc,…` or `u:CORP\svc`. */
  identity: string | undefined;
  spn: string;
}

const SASL_BIND_IN_PROGRESS = 14;
const WHO_AM_I = '1.3.6.1.4.1.4203.1.11.3';
const START_TLS = '1.3.6.1.4.1.1466.20037';

/** The default SPN: the URL's host as written, never canonicalised through DNS. */
export const defaultSpn = (host: string): string => `ldap/${host}`;

function connected<T extends net.Socket>(socket: T, event: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect timed out after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Sees what a server sends first (FirstBytes: an HTTP server, say, is named at once). */
export interface PeerWatch {
  watch<S extends net.Socket>(socket: S): S;
  unwatch(socket: net.Socket): void;
}

/** Open TLS to the server: ldaps:// directly, or StartTLS on ldap:// framed here. */
async function openTls(target: GssapiTarget, peer: PeerWatch | undefined): Promise<tls.TLSSocket> {
  const { host, port, connectTimeoutMs, timeoutMs } = target;
  const watched = <S extends net.Socket>(socket: S): S => peer?.watch(socket) ?? socket;
  if (target.secure) {
    return connected(watched(tls.connect({ ...target.tls, host, port })), 'secureConnect', connectTimeoutMs);
  }
  const plain = await connected(watched(net.connect({ host, port })), 'connect', connectTimeoutMs);
  const wire = new LdapWire(plain, timeoutMs);
  try {
    const answer = await wire.extended(START_TLS);
    if (answer.resultCode !== 0) throw new StartTlsRefused(answer);
  } catch (error) {
    plain.destroy();
    throw error;
  } finally {
    wire.release();
  }
  peer?.unwatch(plain);
  return connected(watched(tls.connect({ ...target.tls, socket: plain })), 'secureConnect', connectTimeoutMs);
}

/** The server refused StartTLS. */
export class StartTlsRefused extends Error {
  /** @param answer the server's result */
  public constructor(public readonly answer: LdapResult) {
    super(
      `StartTLS refused (result ${answer.resultCode}${answer.diagnosticMessage ? `: ${answer.diagnosticMessage}` : ''})`,
    );
  }
}

/**
 * The RFC 4752 exchange: context tokens until the context is established (answers 14), then
 * the server's wrapped offer of security layers and our wrapped choice: no security layer (TLS
 * protects the connection; Active Directory refuses a SASL layer inside TLS, MS-ADTS 5.1.2.1)
 * and no authorization identity.
 */
async function exchange(wire: LdapWire, session: GssSession): Promise<LdapResult> {
  let input: Uint8Array | undefined;
  for (let round = 0; ; round++) {
    const { token, complete } = await session.step(input);
    const answer = await wire.saslBind('GSSAPI', token);
    if (answer.resultCode !== SASL_BIND_IN_PROGRESS) return answer;
    input = answer.serverSaslCreds ?? new Uint8Array(0);
    if (complete) break;
    if (round > 8) throw new GssFailure('other', 'the Kerberos context did not complete in 8 rounds');
  }
  const offer = session.unwrap(input);
  // Octet 0: the layers offered (bit 1 = none); octets 1-3: the server's maximum message size.
  if (offer.length !== 4)
    throw new GssFailure('other', `the server's security-layer offer has ${offer.length} octets, not 4`);
  if ((offer[0] ?? 0) & 1) return wire.saslBind('GSSAPI', session.wrap(Uint8Array.of(1, 0, 0, 0)));
  throw new GssFailure(
    'other',
    'the server requires a SASL security layer inside TLS, which adsync does not use',
  );
}

/**
 * Open a connection and bind with SASL GSSAPI (Kerberos) on it, as ldapts cannot carry that
 * exchange; the bound socket is then handed to ldapts for the searches.
 * @param target the server and settings
 * @param provider the GSS-API implementation
 * @param peer watches what the server sends first
 */
export async function gssapiConnect(
  target: GssapiTarget,
  provider: GssProvider,
  peer?: PeerWatch,
): Promise<GssapiConnection> {
  const spn = target.kerberos.spn ?? defaultSpn(target.host);
  const socket = await openTls(target, peer);
  const wire = new LdapWire(socket, target.timeoutMs);
  let session: GssSession | undefined;
  try {
    const certificate = socket.getPeerCertificate(true);
    session = await provider.start({
      spn,
      principal: target.kerberos.principal,
      keytab: target.kerberos.keytab,
      channelBinding: tlsServerEndPoint(certificate.raw),
    });
    const answer = await exchange(wire, session);
    if (answer.resultCode !== 0) throw saslBindError(answer, { url: target.url, spn });
    // Who am I? (RFC 4532) names the entry slapd mapped the principal to; a server without it
    // (Samba) is named by the principal the ticket was for.
    const who = await wire.extended(WHO_AM_I);
    const mapped = who.resultCode === 0 ? who.responseValue?.toString('utf8') : undefined;
    return { socket, identity: mapped || session.principal?.(), spn };
  } catch (error) {
    socket.destroy();
    if (error instanceof GssFailure)
      throw kerberosError(error, {
        url: target.url,
        spn,
        provider: provider.name,
        keytab: target.kerberos.keytab,
      });
    if (error instanceof WireClosedError) {
      throw new DirectoryError(
        'LDAP_CONNECT',
        `the Kerberos bind at ${target.url} failed: ${error.message}`,
        {
          hint: 'The server closed the connection during the bind; its log says why.',
          cause: error,
        },
      );
    }
    throw error;
  } finally {
    wire.release();
    session?.close();
  }
}
