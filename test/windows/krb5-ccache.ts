import { randomBytes } from 'node:crypto';

import { encryptAes256 } from './krb5-crypto.js';

/**
 * An MIT credentials cache (FILE format 0x0504) holding a ticket for one service, made without a
 * KDC: Wine's Kerberos package is MIT's libkrb5 underneath, and with a cached service ticket
 * InitializeSecurityContextW builds its AP-REQ locally. Given the service's key, the ticket is
 * sealed for it as a KDC would (an acceptor with that key in its keytab accepts it); without,
 * its encrypted part is random and only the client side can be exercised.
 */

/** DER: a tag, its definite length, its content. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const int = (value: number): Buffer => tlv(0x02, Buffer.from([value]));
const generalString = (value: string): Buffer => tlv(0x1b, Buffer.from(value, 'utf8'));

/** RFC 4120 PrincipalName. */
const principalName = (type: number, components: string[]): Buffer =>
  tlv(
    0x30,
    Buffer.concat([tlv(0xa0, int(type)), tlv(0xa1, tlv(0x30, Buffer.concat(components.map(generalString))))]),
  );

/** KerberosTime: GeneralizedTime without fractions. */
const time = (seconds: number): Buffer =>
  tlv(0x18, Buffer.from(new Date(seconds * 1000).toISOString().replace(/[-:T]|\.\d+/g, ''), 'ascii'));

/** RFC 4120 EncTicketPart: [APPLICATION 3] { flags, key, crealm, cname, transited, times }. */
function encTicketPart(realm: string, client: string, sessionKey: Buffer, now: number): Buffer {
  const body = Buffer.concat([
    tlv(0xa0, tlv(0x03, Buffer.from([0, 0x40, 0xe1, 0, 0]))),
    tlv(0xa1, tlv(0x30, Buffer.concat([tlv(0xa0, int(18)), tlv(0xa1, tlv(0x04, sessionKey))]))),
    tlv(0xa2, generalString(realm)),
    tlv(0xa3, principalName(1, [client])),
    tlv(0xa4, tlv(0x30, Buffer.concat([tlv(0xa0, int(1)), tlv(0xa1, tlv(0x04, Buffer.alloc(0)))]))),
    tlv(0xa5, time(now - 60)),
    tlv(0xa6, time(now - 60)),
    tlv(0xa7, time(now + 3600)),
  ]);
  return tlv(0x63, tlv(0x30, body));
}

/** RFC 4120 Ticket: [APPLICATION 1] { tkt-vno 5, realm, sname, enc-part }. */
function ticket(realm: string, service: string[], cipher: Buffer): Buffer {
  const sname = principalName(2, service);
  const encPart = tlv(
    0x30,
    Buffer.concat([tlv(0xa0, int(18)), tlv(0xa1, int(1)), tlv(0xa2, tlv(0x04, cipher))]),
  );
  const body = Buffer.concat([
    tlv(0xa0, int(5)),
    tlv(0xa1, generalString(realm)),
    tlv(0xa2, sname),
    tlv(0xa3, encPart),
  ]);
  return tlv(0x61, tlv(0x30, body));
}

const u16 = (value: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
};
const u32 = (value: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
};
const counted = (data: Buffer): Buffer => Buffer.concat([u32(data.length), data]);

/** A ccache principal: name type, component count, realm, components. */
function principal(realm: string, components: string[], type: number): Buffer {
  return Buffer.concat([
    u32(type),
    u32(components.length),
    counted(Buffer.from(realm)),
    ...components.map((c) => counted(Buffer.from(c))),
  ]);
}

/** One cached credential for client → server, valid from a minute ago for an hour. */
function credential(realm: string, client: string, server: string[], serverKey?: Buffer): Buffer {
  const now = Math.floor(Date.now() / 1000);
  const sessionKey = randomBytes(32);
  const cipher = serverKey
    ? encryptAes256(serverKey, 2, encTicketPart(realm, client, sessionKey, now))
    : randomBytes(96);
  return Buffer.concat([
    principal(realm, [client], 1),
    principal(realm, server, 2),
    u16(18), // aes256-cts-hmac-sha1-96 session key
    counted(sessionKey),
    u32(now - 60), // authtime
    u32(now - 60), // starttime
    u32(now + 3600), // endtime
    u32(0), // renew-till
    Buffer.from([0]), // is_skey
    u32(0x40e10000), // forwardable, renewable, initial, pre-authent (as kinit's)
    u32(0), // addresses
    u32(0), // authdata
    counted(ticket(realm, server, cipher)),
    counted(Buffer.alloc(0)), // second ticket
  ]);
}

/**
 * A ccache for client@realm holding a TGT and a ticket for the service.
 * @param realm the realm (upper case)
 * @param client the client's name
 * @param service the service principal's components (`['ldap', '127.0.0.1']`)
 * @param serviceKey the service's aes256 key, to seal its ticket for real
 */
export function ccacheWithServiceTicket(
  realm: string,
  client: string,
  service: string[],
  serviceKey?: Buffer,
): Buffer {
  return Buffer.concat([
    u16(0x0504),
    u16(0), // no header tags
    principal(realm, [client], 1),
    credential(realm, client, ['krbtgt', realm]),
    credential(realm, client, service, serviceKey),
  ]);
}

/**
 * An MIT keytab (format 0x0502) with one aes256 key, kvno 1.
 * @param realm the realm
 * @param components the principal's components
 * @param key the 32-byte key
 */
export function keytab(realm: string, components: string[], key: Buffer): Buffer {
  const str = (value: string): Buffer => Buffer.concat([u16(Buffer.byteLength(value)), Buffer.from(value)]);
  const entry = Buffer.concat([
    u16(components.length),
    str(realm),
    ...components.map(str),
    u32(1), // KRB5_NT_PRINCIPAL
    u32(Math.floor(Date.now() / 1000)),
    Buffer.from([1]), // kvno
    u16(18),
    u16(key.length),
    key,
  ]);
  return Buffer.concat([u16(0x0502), u32(entry.length), entry]);
}
