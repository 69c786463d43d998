import type { Socket } from 'node:net';

import { BerReader, BerWriter } from 'ldapts';

/** LDAP protocol-op tags (RFC 4511) of the few messages adsync frames itself. */
const TAG = {
  bindRequest: 0x60,
  bindResponse: 0x61,
  extendedRequest: 0x77,
  extendedResponse: 0x78,
  saslCredentials: 0xa3,
  serverSaslCreds: 0x87,
  responseValue: 0x8b,
  requestName: 0x80,
} as const;

/** The part of an LDAP result (RFC 4511 4.1.9) a bind or StartTLS answer carries. */
export interface LdapResult {
  resultCode: number;
  diagnosticMessage: string;
  /** `serverSaslCreds` of a bind response, as the bytes sent (ldapts decodes them as UTF-8). */
  serverSaslCreds: Buffer | undefined;
  /** `responseValue` of an extended response. */
  responseValue: Buffer | undefined;
}

/** Why the wire stopped: the socket closed, errored or stayed silent past the time limit. */
export class WireClosedError extends Error {}

/**
 * LDAP messages framed by adsync on a socket it opened, for the steps ldapts cannot carry: a
 * SASL GSSAPI bind writes binary tokens (ldapts 9 writes SASL credentials as UTF-8 strings and
 * decodes the server's as UTF-8) and goes through `saslBindInProgress` answers, which ldapts
 * throws. One request at a time; the socket goes to ldapts afterwards, so message ids start
 * high enough not to matter and nothing is left listening on it.
 */
export class LdapWire {
  private buffered = Buffer.alloc(0);
  private waiting: { resolve: (m: Buffer) => void; reject: (e: Error) => void } | undefined;
  private closed: Error | undefined;
  private nextId = 1;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.deliver();
  };
  private readonly onEnd = (): void => {
    this.fail(new WireClosedError('the server closed the connection'));
  };
  private readonly onError = (error: Error): void => {
    this.fail(new WireClosedError(error.message));
  };

  /**
   * @param socket an open socket (plain or TLS)
   * @param timeoutMs how long one answer may take
   */
  public constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** Stop listening: the socket is handed over (to TLS, or to ldapts). */
  public release(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
  }

  /**
   * Send a SASL bind request and read its answer.
   * @param mechanism the SASL mechanism, e.g. GSSAPI
   * @param credentials the mechanism's bytes (absent: none)
   */
  public async saslBind(mechanism: string, credentials: Uint8Array | undefined): Promise<LdapResult> {
    const answer = await this.exchange(TAG.bindRequest, (w) => {
      w.writeInt(3);
      w.writeString('');
      w.startSequence(TAG.saslCredentials);
      w.writeString(mechanism);
      if (credentials !== undefined) w.writeBuffer(Buffer.from(credentials), 0x04);
      w.endSequence();
    });
    return readResult(answer, TAG.bindResponse);
  }

  /**
   * Send an extended request with no value (StartTLS, RFC 4511 4.14; Who am I?, RFC 4532) and
   * read its answer.
   * @param oid the request name
   */
  public async extended(oid: string): Promise<LdapResult> {
    const answer = await this.exchange(TAG.extendedRequest, (w) => {
      w.writeString(oid, TAG.requestName);
    });
    return readResult(answer, TAG.extendedResponse);
  }

  private async exchange(op: number, body: (w: BerWriter) => void): Promise<Buffer> {
    if (this.closed) throw this.closed;
    const id = this.nextId++;
    const w = new BerWriter();
    w.startSequence();
    w.writeInt(id);
    w.startSequence(op);
    body(w);
    w.endSequence();
    w.endSequence();
    const answer = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new WireClosedError(`no answer within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.waiting = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
    this.socket.write(w.buffer);
    this.deliver();
    return answer;
  }

  private fail(error: Error): void {
    this.closed ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }

  /** Hand a whole message to the waiting request, once one has arrived. */
  private deliver(): void {
    if (!this.waiting) return;
    const size = messageSize(this.buffered);
    if (size === undefined) return;
    const message = this.buffered.subarray(0, size);
    this.buffered = this.buffered.subarray(size);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve(message);
  }
}

/** The size of the first complete BER element in `data`, or undefined while it is incomplete. */
function messageSize(data: Buffer): number | undefined {
  const reader = new BerReader(data);
  if (reader.readSequence() === null) return undefined;
  const size = reader.offset + reader.length;
  return data.length >= size ? size : undefined;
}

/**
 * The result of a bind or extended response. An unsolicited notice (message id 0, e.g. the
 * server's notice of disconnection) is read as the answer: it ends the exchange either way.
 */
function readResult(message: Buffer, expected: number): LdapResult {
  const r = new BerReader(message);
  r.readSequence(0x30);
  r.readInt();
  const op = r.readSequence();
  if (op !== expected && op !== TAG.extendedResponse) {
    throw new WireClosedError(`unexpected LDAP message 0x${(op ?? 0).toString(16)}`);
  }
  const end = r.offset + r.length;
  const resultCode = r.readEnumeration() ?? -1;
  r.readString();
  const diagnosticMessage = r.readString() ?? '';
  let serverSaslCreds: Buffer | undefined;
  let responseValue: Buffer | undefined;
  while (r.offset < end) {
    const tag = r.peek() ?? 0;
    if (tag === TAG.serverSaslCreds) serverSaslCreds = r.readString(tag, true) ?? undefined;
    else if (tag === TAG.responseValue) responseValue = r.readString(tag, true) ?? undefined;
    else skipElement(r, tag);
  }
  return { resultCode, diagnosticMessage, serverSaslCreds, responseValue };
}

function skipElement(r: BerReader, tag: number): void {
  r.readSequence(tag);
  r.offset += r.length;
}
