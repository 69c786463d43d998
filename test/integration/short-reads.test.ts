import { Client } from 'ldapts';
import { afterEach, describe, expect, it } from 'vitest';

import { LdapDirectory } from '../../src/directory/ldap/source.js';
import type { SearchRequest } from '../../src/directory/ldap/entries.js';
import { DirectoryError } from '../../src/errors.js';
import {
  person,
  startHostileLdap,
  type HostileAnswer,
  type HostileLdap,
  type HostileSearch,
} from '../harness/hostile-ldap.js';
import { builtLdapDirectory, readSearch, searchFailure } from '../harness/search-thread.js';

/**
 * Reads that end early but look complete (issue 23 §1), against a hand-made LDAP server on
 * loopback that misbehaves the way proxies and virtual directories do: every one must either
 * read everything or fail with an error that names the server's fault.
 */

const BASE = 'ou=people,dc=example,dc=com';
const people = (from: number, to: number): HostileAnswer['entries'] =>
  Array.from({ length: to - from + 1 }, (_, i) => person(from + i, BASE));

const servers: HostileLdap[] = [];
const directories: LdapDirectory[] = [];
afterEach(async () => {
  await Promise.all(directories.splice(0).map((d) => d.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function hostile(handler: (search: HostileSearch) => HostileAnswer): Promise<HostileLdap> {
  const server = await startHostileLdap(handler);
  servers.push(server);
  return server;
}

async function open(
  server: HostileLdap,
  Directory: typeof LdapDirectory = LdapDirectory,
): Promise<LdapDirectory> {
  const directory = new Directory({
    urls: [server.url],
    bindDN: 'cn=reader,dc=example,dc=com',
    bindPassword: 'secret',
    startTLS: false,
    tlsMinVersion: 'TLSv1.2',
    connectTimeoutMs: 5000,
    timeoutMs: 5000,
    pageSize: 3,
    searchThread: Directory !== LdapDirectory,
  });
  directories.push(directory);
  await directory.open();
  return directory;
}

const request = (extra: Partial<SearchRequest> = {}): SearchRequest => ({
  base: BASE,
  scope: 'sub',
  filter: '(objectClass=inetOrgPerson)',
  attributes: ['uid', 'member'],
  bufferAttributes: [],
  location: 'hq',
  ...extra,
});

/** Pages by cookie: the first page answers the empty cookie, each later one the cookie before it. */
function paged(pages: readonly HostileAnswer[]): (search: HostileSearch) => HostileAnswer {
  return (search) => {
    const cookie = search.paged?.cookie.toString() ?? '';
    const page = cookie === '' ? 0 : Number(cookie.replace(/^page/, ''));
    return pages[page] ?? { entries: [], resultCode: 53 };
  };
}

/** Answers in the order the searches arrive, whatever they ask; a search past the last is refused. */
function inTurn(answers: readonly HostileAnswer[]): () => HostileAnswer {
  let next = 0;
  return () => answers[next++] ?? { entries: [], resultCode: 53 };
}

const uids = (entries: { values: Record<string, string[]> }[]): string[] =>
  entries.map((e) => e.values.uid?.[0] ?? '?');

describe('a page with no entries and a cookie (RFC 2696: AD when a page runs out of time)', () => {
  // 3 people, two empty pages that still carry a cookie, then the last 2 people.
  const pages: HostileAnswer[] = [
    { entries: people(1, 3), cookie: Buffer.from('page1') },
    { entries: [], cookie: Buffer.from('page2') },
    { entries: [], cookie: Buffer.from('page3') },
    { entries: people(4, 5), cookie: Buffer.alloc(0) },
  ];
  const all = ['p0001', 'p0002', 'p0003', 'p0004', 'p0005'];

  it('is what stops ldapts searchPaginated early, silently (the attack is real)', async () => {
    const server = await hostile(paged(pages));
    const client = new Client({ url: server.url });
    try {
      let read = 0;
      for await (const page of client.searchPaginated(BASE, { paged: { pageSize: 3 } }))
        read += page.searchEntries.length;
      expect(read).toBe(3);
    } finally {
      await client.unbind();
    }
  });

  it('is followed: every entry is read, in this thread', async () => {
    const server = await hostile(paged(pages));
    const { entries } = await readSearch(await open(server), request());
    expect(uids(entries)).toEqual(all);
    expect(server.searches.map((s) => s.paged?.cookie.toString())).toEqual(['', 'page1', 'page2', 'page3']);
  });

  it('is followed in the search thread too', async () => {
    const server = await hostile(paged(pages));
    const { entries } = await readSearch(await open(server, await builtLdapDirectory()), request());
    expect(uids(entries)).toEqual(all);
  });

  it('is not confused with a loop when a server keeps one cookie for the whole search (389 DS)', async () => {
    const same = Buffer.from('slot0');
    const server = await hostile(
      inTurn([
        { entries: people(1, 3), cookie: same },
        { entries: people(4, 6), cookie: same },
        { entries: people(7, 7), cookie: Buffer.alloc(0) },
      ]),
    );
    const { entries } = await readSearch(await open(server), request());
    expect(entries).toHaveLength(7);
  });
});

describe('a paging cookie that does not advance', () => {
  it('fails fast when an empty page comes back with the cookie it was asked with', async () => {
    const loop = Buffer.from('page1');
    // Asked with page1, it answers page1 again, forever.
    const server = await hostile(
      paged([
        { entries: people(1, 3), cookie: loop },
        { entries: [], cookie: loop },
      ]),
    );
    const failure = await searchFailure(await open(server), request());
    expect(failure.code).toBe('LDAP_SERVER_BUG');
    expect(failure.message).toBe(
      `location "hq": search of ${BASE} on ${server.url} failed: the server answered page 2 with the same paging cookie it was sent, and no entries: it makes no progress (a paging bug of the server or of a proxy in front of it, RFC 2696)`,
    );
    expect(failure.hint).not.toMatch(/time limit/i);
    expect(server.searches).toHaveLength(2);
  });

  it('fails fast when the same page comes back with the same cookie (in the search thread)', async () => {
    const loop = Buffer.from('page1');
    const server = await hostile(
      paged([
        { entries: people(1, 3), cookie: loop },
        { entries: people(1, 3), cookie: loop },
      ]),
    );
    const failure = await searchFailure(await open(server, await builtLdapDirectory()), request());
    expect(failure.code).toBe('LDAP_SERVER_BUG');
    expect(failure.message).toContain(
      'with the same paging cookie it was sent, and the same entries as the page before',
    );
    expect(server.searches).toHaveLength(2);
  });
});

describe('a ranged attribute (member;range=…) that never reaches *', () => {
  const members = (from: number, to: number): string[] =>
    Array.from({ length: to - from + 1 }, (_, i) => `uid=m${from + i},${BASE}`);
  const group = (): HostileAnswer => {
    const entry = person(1, BASE);
    entry.attributes['member;range=0-1'] = members(0, 1);
    return { entries: [entry] };
  };
  /** The group's first page, then each ranged read answered by `rest` (given the range asked). */
  const ranged =
    (rest: (start: number) => Record<string, string[]>) =>
    (search: HostileSearch): HostileAnswer => {
      const asked = search.attributes.find((a) => a.startsWith('member;range='));
      if (asked === undefined) return group();
      const start = Number(/=(\d+)-/.exec(asked)?.[1]);
      return { entries: [{ dn: `uid=p0001,${BASE}`, attributes: rest(start) }] };
    };

  it('is completed when the server ends it with *', async () => {
    const server = await hostile(ranged((start) => ({ [`member;range=${start}-*`]: members(start, 4) })));
    const { entries } = await readSearch(await open(server), request());
    expect(entries[0]?.values.member).toEqual(members(0, 4));
  });

  it('fails fast when the server starts over', async () => {
    const server = await hostile(ranged(() => ({ 'member;range=0-1': members(0, 1) })));
    const failure = await searchFailure(await open(server), request());
    expect(failure.code).toBe('LDAP_SERVER_BUG');
    expect(failure.message).toBe(
      `location "hq": search of ${BASE} on ${server.url}: reading member of uid=p0001,${BASE}: asked for range 2-*, the server answered range 0-1; the server's ranged reads of this attribute would never end (a bug of the server or of a proxy in front of it)`,
    );
    expect(server.searches).toHaveLength(2);
  });

  it('fails fast when each range brings the same values again', async () => {
    // Ranges advance (2-3, 4-5, …) but the values cycle: the read would never reach *.
    const server = await hostile(
      ranged((start) => ({ [`member;range=${start}-${start + 1}`]: members(start % 4, (start % 4) + 1) })),
    );
    const failure = await searchFailure(await open(server), request());
    expect(failure.code).toBe('LDAP_SERVER_BUG');
    expect(failure.message).toContain('the server sent a value again in range 4-5');
    expect(server.searches).toHaveLength(3);
  });

  it('fails fast when a range brings no values and no end', async () => {
    const server = await hostile(ranged((start) => ({ [`member;range=${start}-${start + 1}`]: [] })));
    const failure = await searchFailure(await open(server), request());
    expect(failure.code).toBe('LDAP_SERVER_BUG');
    expect(failure.message).toContain('the server answered range 2-3 without values');
  });
});

describe('entries outside the search (a proxy or virtual directory answering from elsewhere)', () => {
  it('accepts the base and entries below it however their DNs are spelled', async () => {
    const spelled = person(2, 'OU=People, DC=Example,DC=com');
    const server = await hostile(inTurn([{ entries: [person(1, BASE), spelled] }]));
    const { entries } = await readSearch(await open(server), request());
    expect(uids(entries)).toEqual(['p0001', 'p0002']);
  });

  it('refuses an entry outside the base, naming it', async () => {
    const intruder = person(9, 'ou=other,dc=example,dc=com');
    const server = await hostile(inTurn([{ entries: [person(1, BASE), intruder] }]));
    const failure = await searchFailure(await open(server), request());
    expect(failure.code).toBe('LDAP_SERVER_BUG');
    expect(failure.message).toBe(
      `location "hq": search of ${BASE} on ${server.url} failed: the server returned the entry uid=p0009,ou=other,dc=example,dc=com, outside the base (scope sub)`,
    );
    expect(failure.hint).toContain('proxy or virtual directory');
  });

  it('refuses an entry below a direct child when the scope is one (in the search thread)', async () => {
    const deep = person(9, `ou=sub,${BASE}`);
    const server = await hostile(inTurn([{ entries: [person(1, BASE), deep] }]));
    const failure = await searchFailure(
      await open(server, await builtLdapDirectory()),
      request({ scope: 'one' }),
    );
    expect(failure.code).toBe('LDAP_SERVER_BUG');
    expect(failure.message).toContain(
      `the server returned the entry uid=p0009,ou=sub,${BASE}, outside the base (scope one)`,
    );
  });

  it('refuses another entry than the one a base-scope look-up asked for', async () => {
    const server = await hostile(inTurn([{ entries: [person(2, BASE)] }]));
    const directory = await open(server);
    const error: unknown = await directory
      .find({
        base: `uid=p0001,${BASE}`,
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: [],
        bufferAttributes: [],
        limit: 1,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    if (!(error instanceof DirectoryError))
      throw new Error(`expected a DirectoryError, got ${String(error)}`);
    expect(error.code).toBe('LDAP_SERVER_BUG');
    expect(error.message).toContain(`the server returned the entry uid=p0002,${BASE}, other than the base`);
  });
});
