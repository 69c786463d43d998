import { randomBytes } from 'node:crypto';

/**
 * An MIT credentials cache (FILE format 0x0504) holding a ticket for one service, made without a
 * KDC: Wine's Kerberos package is MIT's libkrb5 underneath, and with a cached service ticket
 * InitializeSecurityContextW builds its AP-REQ locally. The ticket's encrypted part is random
 * (no server ever reads it); what the client needs is the session key, which is real.
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

/** RFC 4120 Ticket: [APPLICATION 1] { tkt-vno 5, realm, sname, enc-part }. */
function ticket(realm: string, service: string[]): Buffer {
  const sname = tlv(
    0x30,
    Buffer.concat([tlv(0xa0, int(2)), tlv(0xa1, tlv(0x30, Buffer.concat(service.map(generalString))))]),
  );
  const encPart = tlv(
    0x30,
    Buffer.concat([tlv(0xa0, int(18)), tlv(0xa1, int(1)), tlv(0xa2, tlv(0x04, randomBytes(96)))]),
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
function credential(realm: string, client: string, server: string[]): Buffer {
  const now = Math.floor(Date.now() / 1000);
  return Buffer.concat([
    principal(realm, [client], 1),
    principal(realm, server, 2),
    u16(18), // aes256-cts-hmac-sha1-96 session key
    counted(randomBytes(32)),
    u32(now - 60), // authtime
    u32(now - 60), // starttime
    u32(now + 3600), // endtime
    u32(0), // renew-till
    Buffer.from([0]), // is_skey
    u32(0x40e10000), // forwardable, renewable, initial, pre-authent (as kinit's)
    u32(0), // addresses
    u32(0), // authdata
    counted(ticket(realm, server)),
    counted(Buffer.alloc(0)), // second ticket
  ]);
}

/**
 * A ccache for client@realm holding a TGT and a ticket for the service.
 * @param realm the realm (upper case)
 * @param client the client's name
 * @param service the service principal's components (`['ldap', '127.0.0.1']`)
 */
export function ccacheWithServiceTicket(realm: string, client: string, service: string[]): Buffer {
  return Buffer.concat([
    u16(0x0504),
    u16(0), // no header tags
    principal(realm, [client], 1),
    credential(realm, client, ['krbtgt', realm]),
    credential(realm, client, service),
  ]);
}
