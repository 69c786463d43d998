import net from 'node:net';
import tls from 'node:tls';

import { DirectoryError } from '../../errors.js';

/** How long each probe waits: the server already answered the real attempt, so it is near. */
const PROBE_MS = 3000;

/** An anonymous LDAPv3 bind request (message 1): any LDAP server answers it with a SEQUENCE. */
const ANONYMOUS_BIND = Buffer.from([
  0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00,
]);

/**
 * The one way both probes end: the first of `yes` (the port answered as asked), a timeout, an
 * error or the close decides, and the socket goes.
 * @param socket the probe's connection
 * @param yes the event that means the port speaks what was asked, and whether its data says so
 */
function answer(
  socket: net.Socket,
  yes: { event: 'data' | 'secureConnect'; accept?: (data: Buffer) => boolean },
): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once(yes.event, (data?: Buffer) => {
      done(yes.accept === undefined || (data !== undefined && yes.accept(data)));
    });
    for (const event of ['timeout', 'error', 'close'] as const) {
      socket.once(event, () => {
        done(false);
      });
    }
  });
}

/**
 * Whether the port speaks plain LDAP: it answers an anonymous bind with an LDAP message.
 * @param host the server
 * @param port its port
 */
function speaksPlainLdap(host: string, port: number): Promise<boolean> {
  const socket = net.connect({ host, port, timeout: PROBE_MS });
  socket.once('connect', () => socket.write(ANONYMOUS_BIND));
  return answer(socket, { event: 'data', accept: (data) => data[0] === 0x30 });
}

/**
 * Whether the port speaks TLS: a handshake completes (the certificate is not judged; nothing is
 * sent over it).
 * @param host the server
 * @param port its port
 */
function speaksTls(host: string, port: number): Promise<boolean> {
  const socket = tls.connect({
    host,
    port,
    timeout: PROBE_MS,
    rejectUnauthorized: false,
    ...(net.isIP(host) ? {} : { servername: host }),
  });
  return answer(socket, { event: 'secureConnect' });
}

/**
 * After a connection that the server dropped: whether the URL's scheme is the wrong one for
 * the port (`ldaps://` to a plain LDAP port, `ldap://` to an LDAPS port). A mix-up looks like
 * ECONNRESET or "Connection closed before message response", which says nothing of the cause.
 * @param url the URL that failed
 * @param cause what the real attempt threw
 * @returns the error that names the right scheme, or undefined when the scheme is not the problem
 */
export async function schemeMismatch(url: string, cause: unknown): Promise<DirectoryError | undefined> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const secure = parsed.protocol === 'ldaps:';
  const port = Number(parsed.port || (secure ? 636 : 389));
  const other = `${secure ? 'ldap' : 'ldaps'}://${parsed.host}`;
  if (secure && (await speaksPlainLdap(host, port))) {
    return new DirectoryError(
      'LDAP_CONNECT',
      `${url} speaks plain LDAP, not TLS: ldaps:// needs the server's LDAPS port`,
      {
        hint: `Use ${other} with directory.startTLS: true (TLS on this port), or ldaps://${host}:636 (the usual LDAPS port).`,
        cause,
      },
    );
  }
  if (!secure && (await speaksTls(host, port))) {
    return new DirectoryError(
      'LDAP_CONNECT',
      `${url} is a TLS (LDAPS) port: ldap:// speaks plain LDAP to it`,
      {
        hint: `Use ${other} in directory.url (or ldap://${host}:389, the usual plain port, with directory.startTLS: true).`,
        cause,
      },
    );
  }
  return undefined;
}
