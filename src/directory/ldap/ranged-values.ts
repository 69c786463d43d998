import type { Client, Entry } from 'ldapts';

import { DirectoryError } from '../../errors.js';

/**
 * Attributes with more values than Active Directory hands out at once (MaxValRange, 1500 by
 * default) arrive as `member;range=0-1499`; the rest is read with further base-scope searches
 * (`member;range=1500-*`) until a range ends in `*`. Each answer must continue exactly where it
 * was asked to and bring new values: a server (or proxy) that starts over or repeats itself
 * would otherwise be asked again and again until the run's time limit.
 */

const RANGED = /^(.+);range=(\d+)-(\d+|\*)$/i;

/** A value as a set key: text and bytes never collide. */
const keyOf = (value: string | Buffer): string =>
  typeof value === 'string' ? `t${value}` : `b${value.toString('base64')}`;

/** An attribute's values as one list, whether ldapts gave one value or several. */
const valuesOf = (got: Entry[string] | undefined): (string | Buffer)[] =>
  got === undefined ? [] : Array.isArray(got) ? got : [got];

/** What a ranged read is completing, for its messages. */
interface RangedRead {
  client: Client;
  dn: string;
  name: string;
  buffer: boolean;
  where: string;
}

function misbehaviour(read: RangedRead, what: string): DirectoryError {
  return new DirectoryError(
    'LDAP_SERVER_BUG',
    `${read.where}: reading ${read.name} of ${read.dn}: ${what}; the server's ranged reads of this attribute would never end (a bug of the server or of a proxy in front of it)`,
    {
      hint: 'Nothing was written. Search the domain controller itself rather than a proxy or virtual directory; if it is the domain controller, check its MaxValRange policy and its health.',
    },
  );
}

/** Fetch the values after `end` of one ranged attribute; returns them all, in order. */
async function readRest(
  read: RangedRead,
  first: readonly (string | Buffer)[],
  end: string,
  beforeEach: () => void,
): Promise<(string | Buffer)[]> {
  const values: (string | Buffer)[] = [];
  const seen = new Set<string>();
  const add = (got: readonly (string | Buffer)[]): number => {
    let added = 0;
    for (const value of got) {
      const key = keyOf(value);
      if (seen.has(key)) return -1;
      seen.add(key);
      values.push(value);
      added++;
    }
    return added;
  };
  add(first);
  while (end !== '*') {
    beforeEach();
    const start = Number(end) + 1;
    const asked = `${read.name};range=${String(start)}-*`;
    const { searchEntries } = await read.client.search(read.dn, {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: [asked],
      explicitBufferAttributes: read.buffer ? [asked] : [],
    });
    const got = searchEntries[0];
    const lower = `${read.name.toLowerCase()};range=`;
    const key = got ? Object.keys(got).find((k) => k.toLowerCase().startsWith(lower)) : undefined;
    if (!got || key === undefined) {
      throw new DirectoryError(
        'LDAP_SEARCH',
        `${read.where}: reading ${read.name} of ${read.dn}: the server stopped answering the ranged read after ${values.length} values`,
        { hint: 'The attribute would be incomplete. Run again; if it repeats, check the domain controller.' },
      );
    }
    const range = RANGED.exec(key);
    const from = Number(range?.[2] ?? -1);
    const to = range?.[3] ?? '';
    const answered = `range ${key.slice(read.name.length + ';range='.length)}`;
    if (from !== start || (to !== '*' && Number(to) < from))
      throw misbehaviour(read, `asked for range ${String(start)}-*, the server answered ${answered}`);
    const added = add(valuesOf(got[key]));
    if (added < 0) throw misbehaviour(read, `the server sent a value again in ${answered}`);
    if (added === 0 && to !== '*') throw misbehaviour(read, `the server answered ${answered} without values`);
    end = to;
  }
  return values;
}

/**
 * An entry with each ranged attribute (`member;range=0-1499`) completed under its plain name.
 * @param client the bound client the entry came from
 * @param entry the entry; changed in place and returned
 * @param bufferAttributes attributes read as bytes
 * @param where `location "x": search of <base> on <url>`, for messages
 * @param beforeEach called before each further read (checks that the session still holds)
 * @throws {DirectoryError} LDAP_SEARCH when a ranged read stops early, LDAP_SERVER_BUG when it never ends
 */
export async function completeRanges(
  client: Client,
  entry: Entry,
  bufferAttributes: readonly string[],
  where: string,
  beforeEach: () => void,
): Promise<Entry> {
  for (const key of Object.keys(entry)) {
    const m = RANGED.exec(key);
    if (!m) continue;
    const name = m[1] ?? key;
    const first = valuesOf(entry[key]);
    const read = { client, dn: entry.dn, name, buffer: bufferAttributes.includes(name), where };
    const values = await readRest(read, first, m[3] ?? '*', beforeEach);
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the ranged key becomes the plain one
    delete entry[key];
    // ldapts's shape: text values as string[], bytes as Buffer[] (a mix only if the server mixed).
    const texts = values.filter((v): v is string => typeof v === 'string');
    entry[name] =
      texts.length === values.length
        ? texts
        : values.map((v) => (typeof v === 'string' ? Buffer.from(v) : v));
  }
  return entry;
}
