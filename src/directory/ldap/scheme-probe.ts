import net from 'node:net';
import tls from 'node:tls';

import { DirectoryError } from '../../errors.js';
import { serverExcerpt } from '../../util/server-text.js';

/** How long each probe waits: the server already answered the real attempt, so it is near. */
const PROBE_MS = 3000;

/** Every LDAP message is a BER SEQUENCE: its first byte is 0x30. */
const LDAP_MESSAGE = 0x30;
/** Bytes of a peer's first answer kept to name what it is. */
const KEPT = 256;

/** An anonymous LDAPv3 bind request (message 1): any LDAP server answers it with a SEQUENCE. */
const ANONYMOUS_BIND = Buffer.from([
  0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00,
]);

/**
 * The one way both probes end: the first of `yes` (the port answered as asked), a timeout, an
 * error or the close decides, and the socket goes.
 * @param socket the probe's connection
 * @param yes the event that means the port answered
 * @returns the data the port sent (an empty buffer for a handshake), or undefined for no answer
 */
function answer(socket: net.Socket, yes: 'data' | 'secureConnect'): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const done = (result: Buffer | undefined): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once(yes, (data?: Buffer) => {
      done(data ?? Buffer.alloc(0));
    });
    for (const event of ['timeout', 'error', 'close'] as const) {
      socket.once(event, () => {
        done(undefined);
      });
    }
  });
}

/**
 * What a port answers in plain text to an anonymous bind: an LDAP server a SEQUENCE, a web
 * server "HTTP/1.1 400 …", a mail or FTP server its greeting.
 * @param host the server
 * @param port its port
 */
function plainAnswer(host: string, port: number): Promise<Buffer | undefined> {
  const socket = net.connect({ host, port, timeout: PROBE_MS });
  socket.once('connect', () => socket.write(ANONYMOUS_BIND));
  return answer(socket, 'data');
}

/**
 * Whether the port speaks TLS: a handshake completes (the certificate is not judged; nothing is
 * sent over it).
 * @param host the server
 * @param port its port
 */
async function speaksTls(host: string, port: number): Promise<boolean> {
  const socket = tls.connect({
    host,
    port,
    timeout: PROBE_MS,
    rejectUnauthorized: false,
    ...(net.isIP(host) ? {} : { servername: host }),
  });
  return (await answer(socket, 'secureConnect')) !== undefined;
}

/** The parts of a URL the messages need. */
function urlParts(url: string): { host: string; port: number; secure: boolean; other: string } {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'ldaps:';
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port || (secure ? 636 : 389)),
    secure,
    other: `${secure ? 'ldap' : 'ldaps'}://${parsed.host}`,
  };
}

/** ldaps:// to a plain LDAP port. */
function plainLdapError(url: string, cause: unknown): DirectoryError {
  const { host, other } = urlParts(url);
  return new DirectoryError(
    'LDAP_CONNECT',
    `${url} speaks plain LDAP, not TLS: ldaps:// needs the server's LDAPS port`,
    {
      hint: `Use ${other} with directory.startTLS: true (TLS on this port), or ldaps://${host}:636 (the usual LDAPS port).`,
      cause,
    },
  );
}

/** ldap:// to a TLS port. */
function tlsPortError(url: string, cause: unknown): DirectoryError {
  const { host, other } = urlParts(url);
  return new DirectoryError('LDAP_CONNECT', `${url} is a TLS (LDAPS) port: ldap:// speaks plain LDAP to it`, {
    hint: `Use ${other} in directory.url (or ldap://${host}:389, the usual plain port, with directory.startTLS: true).`,
    cause,
  });
}

/** Whether bytes read as text (a greeting, an error page), rather than a binary protocol. */
const isText = (bytes: Buffer): boolean =>
  bytes.length > 0 && bytes.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));

/**
 * The error for a peer whose first bytes are not an LDAP message, naming what answered: a web
 * server, a TLS port, another service's text greeting, or bytes of some other protocol.
 * @param url the URL that failed
 * @param bytes what the peer sent first
 * @param cause what the real attempt threw
 * @param search for bytes after LDAP messages: the search they broke (see searchPlace)
 */
export function notLdapError(url: string, bytes: Buffer, cause: unknown, search?: string): DirectoryError {
  const { port } = urlParts(url);
  if (search !== undefined) {
    const shown = isText(bytes.subarray(0, 80))
      ? `"${serverExcerpt(bytes.subarray(0, 80).toString('latin1'), 80)}"`
      : [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    return new DirectoryError(
      'LDAP_SEARCH',
      `${search} failed: the server sent bytes that are not LDAP (${shown})`,
      {
        hint: `Something on the way to ${url} (a proxy, a load balancer, an inspecting firewall) or the server itself broke the LDAP session. Nothing was written; connect to the directory directly, or check what answers on port ${port}.`,
        cause,
      },
    );
  }
  const first = bytes.subarray(0, KEPT);
  // A TLS record (handshake or alert, version 3.x): the port wanted TLS.
  if ((first[0] === 0x15 || first[0] === 0x16) && first[1] === 0x03) return tlsPortError(url, cause);
  const ports = '389 for ldap://, 636 for ldaps:// (3268/3269 for an Active Directory Global Catalog)';
  const text = first.toString('latin1');
  if (/^HTTP\/\d/.test(text)) {
    const status = serverExcerpt(text.split(/\r?\n/)[0] ?? '', 80);
    return new DirectoryError(
      'LDAP_CONNECT',
      `${url} is a web server, not an LDAP server: it answered "${status}"`,
      {
        hint: `Port ${port} is a web (HTTP) server's. Put the directory's LDAP port in directory.url: ${ports}.`,
        cause,
      },
    );
  }
  const what = isText(first)
    ? `answered with text, not LDAP: "${serverExcerpt(text.split(/\r?\n/)[0] ?? '', 80)}"`
    : `answered with bytes that are not LDAP (${[...first.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}…)`;
  return new DirectoryError('LDAP_CONNECT', `${url} ${what}`, {
    hint: `Another service listens on port ${port}. Check the host and port in directory.url: ${ports}.`,
    cause,
  });
}

/**
 * Follows the framing of what a peer sends: every LDAP message is a SEQUENCE (0x30) with a
 * definite length, so the start of each next message is known without parsing it.
 */
class BerFraming {
  /** Bytes of the current message still to come. */
  private remaining = 0;
  /** The bytes of a message header read so far (tag, length). */
  private header: number[] = [];

  /**
   * Follow one chunk.
   * @param data the chunk
   * @returns the offset in it where a message that is not LDAP starts, or -1
   */
  public push(data: Buffer): number {
    let at = 0;
    while (at < data.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, data.length - at);
        this.remaining -= take;
        at += take;
        continue;
      }
      const byte = data[at] ?? 0;
      if (this.header.length === 0 && byte !== LDAP_MESSAGE) return at;
      this.header.push(byte);
      at++;
      const length = this.header[1];
      if (length === undefined) continue;
      if (length >= 0x80) {
        const count = length & 0x7f;
        // Indefinite (0) or over 4 length bytes: no LDAP message is framed so.
        if (count === 0 || count > 4) return Math.max(0, at - this.header.length);
        if (this.header.length < 2 + count) continue;
      }
      this.remaining = length < 0x80 ? length : this.header.slice(2).reduce((sum, b) => sum * 256 + b, 0);
      this.header = [];
    }
    return -1;
  }
}

/**
 * Watches what the peer of each connection sends: LDAP messages only. Anything else (a web
 * server's "HTTP/1.1 400", a mail server's greeting, a proxy's garbage mid-search) closes the
 * connection at once, so the pending operation fails now rather than after the operation
 * timeout, and {@link FirstBytes.notLdap} keeps what was sent to name it.
 */
export class FirstBytes {
  /** The start of what a peer sent that was not LDAP. */
  public notLdap: Buffer | undefined;
  private readonly listeners = new Map<net.Socket, (data: Buffer) => void>();

  /**
   * Watch a socket (plain, or TLS: its decrypted data) before anything reads it.
   * @param socket the new connection
   */
  public watch<S extends net.Socket>(socket: S): S {
    const framing = new BerFraming();
    const listener = (data: Buffer): void => {
      const bad = framing.push(data);
      if (bad < 0) return;
      this.notLdap = Buffer.from(data.subarray(bad, bad + KEPT));
      this.unwatch(socket);
      socket.destroy();
    };
    socket.on('data', listener);
    this.listeners.set(socket, listener);
    return socket;
  }

  /**
   * Stop watching a socket (StartTLS: TLS records follow on it, the TLS socket is watched).
   * @param socket a watched socket
   */
  public unwatch(socket: net.Socket): void {
    const listener = this.listeners.get(socket);
    if (listener) socket.off('data', listener);
    this.listeners.delete(socket);
  }
}

/**
 * After a TLS handshake that failed because the peer does not speak TLS at all (OpenSSL's
 * "wrong version number"): what the port speaks instead, asked in plain text.
 * @param url the ldaps:// URL that failed
 * @param cause what the real attempt threw
 */
export async function notTlsError(url: string, cause: unknown): Promise<DirectoryError> {
  const { host, port } = urlParts(url);
  const bytes = await plainAnswer(host, port);
  if (bytes?.[0] === LDAP_MESSAGE) return plainLdapError(url, cause);
  if (bytes !== undefined && bytes.length > 0) return notLdapError(url, bytes, cause);
  return new DirectoryError('LDAP_CONNECT', `${url} does not speak TLS: the port is not an LDAPS port`, {
    hint: `Check the port in directory.url: 636 for ldaps:// (or ldap://${host}:389 with directory.startTLS: true).`,
    cause,
  });
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
  const { host, port, secure } = urlParts(url);
  if (secure && (await plainAnswer(host, port))?.[0] === LDAP_MESSAGE) return plainLdapError(url, cause);
  if (!secure && (await speaksTls(host, port))) return tlsPortError(url, cause);
  return undefined;
}

/**
 * ldapts's connection factories, watched by `firstBytes`; `onTls` sees the TLS socket (for the
 * negotiated protocol) of ldaps:// and StartTLS alike.
 * @param firstBytes the watcher
 * @param onTls called with each TLS socket made
 */
export function watchedConnections(
  firstBytes: FirstBytes,
  onTls: (socket: tls.TLSSocket) => void,
): { createConnection: typeof net.connect; createSecureConnection: typeof tls.connect } {
  const createConnection = ((...args: unknown[]) =>
    firstBytes.watch((net.connect as (...a: unknown[]) => net.Socket)(...args))) as typeof net.connect;
  const createSecureConnection = ((...args: unknown[]) => {
    // StartTLS passes the plain socket: TLS records follow on it, the TLS socket is watched.
    const options: unknown = args[0];
    if (
      typeof options === 'object' &&
      options !== null &&
      'socket' in options &&
      options.socket instanceof net.Socket
    )
      firstBytes.unwatch(options.socket);
    const socket = firstBytes.watch((tls.connect as (...a: unknown[]) => tls.TLSSocket)(...args));
    onTls(socket);
    return socket;
  }) as typeof tls.connect;
  return { createConnection, createSecureConnection };
}
