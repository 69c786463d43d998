/**
 * The one answer to "did this connection fail because of TLS?" for every client adsync has (the
 * vendor upload, the webhook, the directory). It imports nothing of adsync, so any folder may use
 * it.
 */

/** Codes of a connection that broke for network reasons, also when it broke mid-handshake. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Node's and OpenSSL's TLS error codes (ERR_TLS_*, ERR_SSL_*, *_CERT_*, UNABLE_TO_VERIFY_*, …). */
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/i;
/** The same words in a message, for errors that carry no code of their own. */
const TLS_TEXT = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|protocol version/i;

/**
 * An error's code: its own, or its cause's (undici and ldapts wrap the socket's error).
 * @param error anything thrown
 */
export function errorCodeOf(error: unknown): string | number | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string' || typeof own === 'number') return own;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' || typeof cause === 'number' ? cause : undefined;
}

/**
 * Whether an error is a TLS verdict (untrusted or mismatched certificate, no common protocol
 * version) rather than a network problem. A reset or refusal during the handshake is a network
 * problem (worth a retry); an error with a numeric code is a protocol result (an LDAP result code
 * whose text may mention TLS, such as "strongerAuthRequired"), never a TLS verdict.
 * @param error anything thrown
 */
export function isTlsFailure(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (typeof code === 'number') return false;
  if (code !== undefined) {
    if (NETWORK_CODES.has(code)) return false;
    if (TLS_CODE.test(code)) return true;
  }
  const message = error instanceof Error ? error.message : String(error);
  return TLS_TEXT.test(message);
}

/** OpenSSL's verdicts on a peer that answered a ClientHello with something that is not TLS. */
const NOT_TLS_CODE = /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST|UNKNOWN_PROTOCOL)$/;
const NOT_TLS_TEXT = /wrong version number|packet length too long|http request|unknown protocol/i;

/**
 * Whether a TLS failure means the peer does not speak TLS at all (a plain port: a web server's
 * "HTTP/1.1 400" read as a TLS record gives "wrong version number"), rather than an old TLS
 * version or a certificate problem.
 * @param error anything thrown
 */
export function isNotTls(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (typeof code === 'string' && NOT_TLS_CODE.test(code)) return true;
  return NOT_TLS_TEXT.test(error instanceof Error ? error.message : String(error));
}
