import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';

import { BerReader, BerWriter } from 'ldapts';

/**
 * A hand-made LDAP server on loopback that answers searches the way a test tells it to: with
 * paging cookies that do not advance, empty pages, entries from elsewhere, ranged attributes that
 * never end. Real servers do not misbehave on demand; proxies and virtual directories in front of
 * them do. Binds succeed unless a test says how to answer them (it may echo the password);
 * BER is read and written with ldapts's own reader and writer.
 */

const PAGED_RESULTS = '1.2.840.113556.1.4.319';

/** One search request as the server read it. */
export interface HostileSearch {
  /** Base DN as sent. */
  base: string;
  /** 0 base, 1 one, 2 sub. */
  scope: number;
  /** Requested attributes. */
  attributes: string[];
  /** The paged-results control, when the client sent one. */
  paged: { size: number; cookie: Buffer } | undefined;
}

/** An entry to send: its DN and text values. */
export interface HostileEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

/** How the server answers one search. */
export interface HostileAnswer {
  /** Entries to send before the result. */
  entries: HostileEntry[];
  /** A paged-results response control with this cookie; undefined: no control. */
  cookie?: Buffer | undefined;
  /** The LDAP result code (default 0, success). */
  resultCode?: number;
}

/** A running hostile server. */
export interface HostileLdap {
  /** `ldap://127.0.0.1:PORT`. */
  url: string;
  /** Every search received, in order. */
  searches: HostileSearch[];
  /** Stop listening and drop every connection. */
  close: () => Promise<void>;
}

/** One complete BER element at the start of `data`, or undefined while it is incomplete. */
function nextElement(data: Buffer): Buffer | undefined {
  if (data.length < 2) return undefined;
  const first = data[1] ?? 0;
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    if (data.length < 2 + bytes) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (data[2 + i] ?? 0);
    header = 2 + bytes;
  }
  return data.length < header + length ? undefined : data.subarray(0, header + length);
}

function readControls(reader: BerReader): HostileSearch['paged'] {
  if (reader.remain <= 0 || reader.peek() !== 0xa0) return undefined;
  reader.readSequence(0xa0);
  const end = reader.offset + reader.length;
  let paged: HostileSearch['paged'];
  while (reader.offset < end) {
    reader.readSequence(0x30);
    const controlEnd = reader.offset + reader.length;
    const type = reader.readString();
    if (reader.peek() === 0x01) reader.readBoolean();
    const value = reader.offset < controlEnd ? reader.readString(0x04, true) : null;
    reader.offset = controlEnd;
    if (type === PAGED_RESULTS && value) {
      const inner = new BerReader(value);
      inner.readSequence(0x30);
      const size = inner.readInt() ?? 0;
      paged = { size, cookie: inner.readString(0x04, true) ?? Buffer.alloc(0) };
    }
  }
  return paged;
}

/** The message id, the operation's tag and, for a search, what it asks. */
function readRequest(message: Buffer): { id: number; op: number; search?: HostileSearch } {
  const reader = new BerReader(message);
  reader.readSequence(0x30);
  const id = reader.readInt() ?? 0;
  const op = reader.readSequence() ?? 0;
  const opEnd = reader.offset + reader.length;
  if (op !== 0x63) return { id, op };
  const base = reader.readString() ?? '';
  const scope = reader.readEnumeration() ?? 2;
  reader.readEnumeration();
  reader.readInt();
  reader.readInt();
  reader.readBoolean();
  reader.readSequence();
  reader.offset += reader.length;
  reader.readSequence(0x30);
  const attributesEnd = reader.offset + reader.length;
  const attributes: string[] = [];
  while (reader.offset < attributesEnd) attributes.push(reader.readString() ?? '');
  reader.offset = opEnd;
  return { id, op, search: { base, scope, attributes, paged: readControls(reader) } };
}

function envelope(id: number, body: (writer: BerWriter) => void, cookie?: Buffer): Buffer {
  const writer = new BerWriter();
  writer.startSequence();
  writer.writeInt(id);
  body(writer);
  if (cookie !== undefined) {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(0);
    if (cookie.length > 0) value.writeBuffer(cookie, 0x04);
    else value.writeString('');
    value.endSequence();
    writer.startSequence(0xa0);
    writer.startSequence();
    writer.writeString(PAGED_RESULTS);
    writer.writeBuffer(value.buffer, 0x04);
    writer.endSequence();
    writer.endSequence();
  }
  writer.endSequence();
  return writer.buffer;
}

const result = (tag: number, code: number, message?: string) => (writer: BerWriter) => {
  writer.startSequence(tag);
  writer.writeEnumeration(code);
  writer.writeString('');
  writer.writeString(message ?? (code === 0 ? '' : 'hostile server says no'));
  writer.endSequence();
};

/** How the server answers a simple bind: its result code and diagnostic message. */
export type HostileBind = (dn: string, password: string) => { resultCode: number; message?: string };

/** The DN and password of a simple bind request. */
function readBind(message: Buffer): { dn: string; password: string } {
  const reader = new BerReader(message);
  reader.readSequence(0x30);
  reader.readInt();
  reader.readSequence(0x60);
  reader.readInt();
  const dn = reader.readString() ?? '';
  const password = reader.peek() === 0x80 ? (reader.readString(0x80) ?? '') : '';
  return { dn, password };
}

const entryBody = (entry: HostileEntry) => (writer: BerWriter) => {
  writer.startSequence(0x64);
  writer.writeString(entry.dn);
  writer.startSequence();
  for (const [name, values] of Object.entries(entry.attributes)) {
    writer.startSequence();
    writer.writeString(name);
    writer.startSequence(0x31);
    for (const value of values) writer.writeString(value);
    writer.endSequence();
    writer.endSequence();
  }
  writer.endSequence();
  writer.endSequence();
};

function answer(
  socket: Socket,
  message: Buffer,
  handler: (s: HostileSearch) => HostileAnswer,
  found: HostileLdap,
  bind: HostileBind | undefined,
): void {
  const { id, op, search } = readRequest(message);
  if (op === 0x60) {
    const { dn, password } = readBind(message);
    const reply = bind?.(dn, password) ?? { resultCode: 0 };
    socket.write(envelope(id, result(0x61, reply.resultCode, reply.message)));
  } else if (op === 0x42) socket.end();
  else if (search) {
    found.searches.push(search);
    const reply = handler(search);
    for (const entry of reply.entries) socket.write(envelope(id, entryBody(entry)));
    socket.write(envelope(id, result(0x65, reply.resultCode ?? 0), reply.cookie));
  }
}

/**
 * Start a hostile LDAP server on a free loopback port.
 * @param handler how to answer each search
 * @param bind how to answer a bind (default: every bind succeeds)
 */
export async function startHostileLdap(
  handler: (search: HostileSearch) => HostileAnswer,
  bind?: HostileBind,
): Promise<HostileLdap> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      for (let message = nextElement(pending); message; message = nextElement(pending)) {
        pending = pending.subarray(message.length);
        answer(socket, message, handler, found, bind);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the hostile LDAP server has no port');
  const found: HostileLdap = {
    url: `ldap://127.0.0.1:${address.port}`,
    searches: [],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
  return found;
}

/**
 * A person as an inetOrgPerson entry below `base`: uid, names, mail and a stable entryUUID.
 * @param n the person's number
 * @param base the OU the entry is in
 */
export function person(n: number, base: string): HostileEntry {
  const id = String(n).padStart(4, '0');
  return {
    dn: `uid=p${id},${base}`,
    attributes: {
      objectClass: ['inetOrgPerson'],
      uid: [`p${id}`],
      cn: [`Person ${id}`],
      givenName: ['Person'],
      sn: [`N${id}`],
      mail: [`p${id}@example.com`],
      entryUUID: [`00000000-0000-4000-8000-00000000${id}`],
    },
  };
}
