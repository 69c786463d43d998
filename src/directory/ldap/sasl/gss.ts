/**
 * The one interface adsync needs from a GSS-API implementation (RFC 2743) for a SASL GSSAPI bind
 * (RFC 4752): start a Kerberos context towards a service, step it with the server's tokens, and
 * wrap/unwrap the final security-layer message. MIT Kerberos (Linux, macOS) and Windows SSPI sit
 * behind it (docs/development.md says why they are called through koffi); a provider is loaded
 * only when `auth: gssapi` is configured.
 */

/** What a context is started with. */
export interface GssRequest {
  /** The service principal, `service/host` or `service/host@REALM`. */
  spn: string;
  /** The client principal to use (default: the default one of the credentials found). */
  principal?: string | undefined;
  /** A client keytab to get tickets from (default: the environment's, then the ticket cache). */
  keytab?: string | undefined;
  /** RFC 5929 `tls-server-end-point` channel-binding data (the application data, whole). */
  channelBinding: Uint8Array;
}

/** One step of a context: the token to send, and whether the context is established. */
export interface GssStep {
  token: Uint8Array;
  complete: boolean;
}

/** An established (or establishing) security context. */
export interface GssSession {
  /**
   * The next token to send, given the server's last (none for the first). It may talk to the
   * KDC, so it runs off the main thread and resolves when that is done.
   * @param input the server's token
   */
  step(input: Uint8Array | undefined): Promise<GssStep>;
  /** Unwrap a server message (integrity checked). */
  unwrap(message: Uint8Array): Uint8Array;
  /** Wrap a message with integrity only (no confidentiality: TLS already gives that). */
  wrap(message: Uint8Array): Uint8Array;
  /** The client principal the established context speaks for (for messages), if known. */
  principal?(): string | undefined;
  /** Free the context and credentials (never throws). */
  close(): void;
}

/** A GSS-API implementation. */
export interface GssProvider {
  /** Its name, for messages: "MIT Kerberos", "Windows SSPI". */
  readonly name: string;
  /**
   * Acquire credentials and prepare a context (nothing is sent yet).
   * @param request the service and credentials
   */
  start(request: GssRequest): Promise<GssSession>;
}

/** What went wrong, as far as a sysadmin can act on it. */
export type GssFailureKind =
  | 'no-credentials'
  | 'expired'
  | 'clock-skew'
  | 'unknown-service'
  | 'unknown-client'
  /** The KDC refuses the client account itself: password or account expired, disabled, locked out. */
  | 'account'
  | 'kdc-unreachable'
  | 'bad-key'
  | 'no-library'
  | 'other';

/** A GSS-API failure, with the implementation's own text and the kind it was classified as. */
export class GssFailure extends Error {
  /**
   * @param kind what went wrong
   * @param message the implementation's text (major and minor status)
   */
  public constructor(
    public readonly kind: GssFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'GssFailure';
  }
}
