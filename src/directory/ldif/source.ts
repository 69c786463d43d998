import { isUtf8 } from 'node:buffer';
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

import type { Entry } from 'ldapts';

import { DirectoryError, describeError } from '../../errors.js';
import { inScope, normalizeDn, parseDn, type NormalizedDn } from '../dn.js';
import { DirectoryEntry } from '../entry.js';
import type { EntryDirectory, FindRequest, SearchRequest } from '../ldap/entries.js';
import type { ConnectionInfo, SchemaSyntaxes, SearchScope, SourceEntry } from '../types.js';
import { ldifError } from './lines.js';
import { readLdif, type LdifRecord } from './reader.js';
import { compileFilter, type CompiledFilter, type MatchEntry, type Membership } from './match.js';

/** Settings of {@link LdifDirectory}. */
export interface LdifDirectoryOptions {
  /** The LDIF file (absolute path). */
  file: string;
  /** Where `attribute:< file://…` values may be read from (absolute); undefined: nowhere. */
  valueFiles?: string | undefined;
}

/**
 * The `ldif:` URL that names a file as a directory source in reports (`ldif:///srv/people.ldif`).
 * @param file absolute path of the file
 */
export function ldifUrl(file: string): string {
  return pathToFileURL(file).href.replace(/^file:/, 'ldif:');
}

/** A record as the filter sees it: text values by attribute name, subtypes included. */
class RecordView implements MatchEntry {
  private readonly cache = new Map<string, string[]>();

  public constructor(
    private readonly record: LdifRecord,
    public readonly dn: string,
  ) {}

  public text(name: string): readonly string[] {
    const known = this.cache.get(name);
    if (known) return known;
    // Decoded on demand: a filter usually reads two or three attributes of a record.
    const values: string[] = [];
    for (const [key, attribute] of this.record.attributes) {
      if (key === name || (key.startsWith(name) && key[name.length] === ';'))
        for (const value of attribute.values) values.push(value.toString('utf8'));
    }
    this.cache.set(name, values);
    return values;
  }
}

/**
 * Group membership over the whole file: each entry's groups, from the groups' `member` values
 * and the entries' own `memberOf` values (a server computes one from the other; an export may
 * hold either or both). Holds one edge per membership, not the entries.
 */
class MembershipIndex implements Membership {
  /** Child (normalised DN) → its groups: normalised DN → DN as written. */
  private readonly parents = new Map<string, Map<string, string>>();
  /** Normalised DNs known to be groups (entries with members or a group class, memberOf values). */
  public readonly groups = new Set<string>();
  private readonly ancestors = new Map<string, ReadonlySet<string>>();
  private static readonly NONE: ReadonlyMap<string, string> = new Map();

  public add(child: string, group: string, groupAsWritten: string): void {
    let map = this.parents.get(child);
    if (!map) this.parents.set(child, (map = new Map<string, string>()));
    if (!map.has(group)) map.set(group, groupAsWritten);
    this.groups.add(group);
  }

  public groupsOf(dn: string): ReadonlyMap<string, string> {
    return this.parents.get(dn) ?? MembershipIndex.NONE;
  }

  public inChain(dn: string, group: string): boolean {
    for (const parent of this.groupsOf(dn).keys()) {
      if (parent === group || this.ancestorsOf(parent).has(group)) return true;
    }
    return false;
  }

  /** Every group a group is nested in, at any depth (memoised per group; cycles are fine). */
  private ancestorsOf(group: string): ReadonlySet<string> {
    const known = this.ancestors.get(group);
    if (known) return known;
    const seen = new Set<string>();
    const queue = [...this.groupsOf(group).keys()];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...this.groupsOf(next).keys());
    }
    this.ancestors.set(group, seen);
    return seen;
  }
}

const NO_MEMBERSHIP: Membership = {
  groupsOf: () => new Map(),
  inChain: () => false,
};

const GROUP_CLASS = /group/i;

/**
 * An LDIF file read as if it were a directory: the same searches (base, scope, filter,
 * attributes) with a server's semantics, so an export made with `ldifde` or `ldapsearch` can be
 * checked and pushed offline. Every search streams the file again, one record at a time; only
 * group membership (one edge per membership) is kept between searches.
 */
export class LdifDirectory implements EntryDirectory {
  private readonly url: string;
  private fingerprint: string | undefined;
  private membership: MembershipIndex | undefined;

  /**
   * @param options the file
   */
  public constructor(private readonly options: LdifDirectoryOptions) {
    this.url = ldifUrl(options.file);
  }

  private get file(): string {
    return this.options.file;
  }

  /**
   * Check the file can be read; nothing is parsed yet (each search streams it).
   * @returns the file as the source's URL, bound as `(file)`
   */
  public async open(): Promise<ConnectionInfo> {
    await this.checkUnchanged();
    return {
      url: this.url,
      tlsVersion: undefined,
      boundAs: '(file)',
      failedOver: [],
      summary: `reading ${this.url}`,
      checked: 'readable LDIF file',
    };
  }

  /**
   * The file must not change between and during the passes of one run: a half-written export
   * would otherwise be read as a directory that lost people.
   */
  private async checkUnchanged(): Promise<void> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(this.file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new DirectoryError(
        'LDAP_LDIF',
        `cannot read the LDIF file ${this.file}: ${describeError(error)}`,
        {
          hint:
            code === 'ENOENT'
              ? 'Check directory.file (a relative path is relative to the config file).'
              : 'Check that directory.file is readable by the account running adsync.',
          cause: error,
        },
      );
    }
    if (!info.isFile()) {
      throw new DirectoryError('LDAP_LDIF', `the LDIF file ${this.file} is not a file`, {
        hint: 'Point directory.file at the .ldif (or ldifde .ldf) export.',
      });
    }
    const fingerprint = `${info.size}:${info.mtimeMs}`;
    if (this.fingerprint !== undefined && this.fingerprint !== fingerprint) {
      throw new DirectoryError(
        'LDAP_LDIF',
        `the LDIF file ${this.file} changed while adsync was reading it`,
        {
          hint: 'Nothing was written. Run again once the export has been written completely (write it to a temporary name and rename it).',
        },
      );
    }
    this.fingerprint = fingerprint;
  }

  /** One pass over the file, checking that it did not change meanwhile. */
  private async *pass(wanted: ((name: string) => boolean) | undefined): AsyncGenerator<LdifRecord> {
    await this.checkUnchanged();
    yield* readLdif(this.file, this.file, { wanted, valueFiles: this.options.valueFiles });
    await this.checkUnchanged();
  }

  private parseRecordDn(record: LdifRecord): readonly string[] {
    const dn = parseDn(record.dn);
    if (dn === undefined) {
      throw ldifError(
        this.file,
        record.line,
        `"${record.dn}" is not a valid DN`,
        'A DN is a comma-separated list of attribute=value pairs, e.g. CN=Ada Lovelace,OU=Users,DC=corp,DC=example,DC=com; escape "," "+" "=" inside values with a backslash.',
      );
    }
    return dn;
  }

  /** Read the group memberships of the whole file once (needed for memberOf and group checks). */
  private async loadMembership(): Promise<MembershipIndex> {
    if (this.membership) return this.membership;
    const index = new MembershipIndex();
    const wanted = (name: string): boolean =>
      name === 'member' || name === 'memberof' || name === 'objectclass';
    for await (const record of this.pass(wanted)) {
      const dn = this.parseRecordDn(record).join(',');
      const members = record.attributes.get('member')?.values ?? [];
      for (const value of members) {
        const member = normalizeDn(value.toString('utf8'));
        if (member !== undefined) index.add(member, dn, record.dn);
      }
      for (const value of record.attributes.get('memberof')?.values ?? []) {
        const text = value.toString('utf8');
        const group = normalizeDn(text);
        if (group !== undefined) index.add(dn, group, text);
      }
      const classes = record.attributes.get('objectclass')?.values ?? [];
      if (members.length > 0 || classes.some((c) => GROUP_CLASS.test(c.toString('latin1'))))
        index.groups.add(dn);
    }
    this.membership = index;
    return index;
  }

  private where(request: { location: string; base: string }): string {
    return `location ${request.location ? `"${request.location}"` : '(all locations)'}: search of ${request.base} in ${this.url}`;
  }

  /**
   * Throw when a DN (a location's group) is not in the file: not an entry, not above an entry,
   * and not named in any entry's memberOf.
   * @param dn the DN to look for
   * @param location the location naming it, for the message
   */
  public async assertExists(dn: string, location: string): Promise<void> {
    const target = parseDn(dn);
    if (target === undefined) {
      throw new DirectoryError(
        'LDAP_SEARCH',
        `${this.where({ location, base: dn })} failed: invalid DN syntax (34)`,
        {
          hint: 'Check the DN in locations[].groups: attribute=value pairs separated by commas.',
        },
      );
    }
    const index = await this.loadMembership();
    if (index.groups.has(target.join(','))) return;
    for await (const record of this.pass(() => false)) {
      if (inScope(this.parseRecordDn(record), target, 'sub')) return;
    }
    throw new DirectoryError(
      'LDAP_NO_SUCH_OBJECT',
      `location ${location ? `"${location}"` : '(all locations)'}: group ${dn} does not exist in ${this.url} (noSuchObject, 32)`,
      {
        hint: 'The group is not in the LDIF file: it may have been renamed or moved, or left out of the export. Check the DN in locations[].groups.',
      },
    );
  }

  /**
   * Stream the entries of one search, as a server would answer it: base and scope compared as
   * DNs, the filter with server semantics (AD's bitwise and in-chain rules included), only the
   * requested attributes, binary ones as bytes. A base that is not in the file (no entry at or
   * below it) fails like a server's noSuchObject.
   * @param request base, scope, filter and attributes
   */
  public async *search(request: SearchRequest): AsyncGenerator<DirectoryEntry> {
    const base = parseDn(request.base);
    if (base === undefined) {
      throw new DirectoryError('LDAP_SEARCH', `${this.where(request)} failed: invalid DN syntax (34)`, {
        hint: 'Check the DN in locations[].ous (or directory.baseDN): attribute=value pairs separated by commas.',
      });
    }
    const baseFound = yield* this.select(request, base, request.scope);
    if (!baseFound) {
      throw new DirectoryError(
        'LDAP_NO_SUCH_OBJECT',
        `${this.where(request)} failed: the base does not exist (noSuchObject, 32)`,
        {
          hint: 'No entry of the LDIF file is at or below this DN: the OU may have been renamed or moved, or the export did not include it. Check the DN in locations[].ous (or directory.baseDN).',
        },
      );
    }
  }

  /**
   * The entries of a search: base and scope compared as DNs, the filter with server semantics.
   * @returns whether any entry is at or below the base (a server's noSuchObject otherwise)
   */
  private async *select(
    request: Omit<SearchRequest, 'scope'>,
    base: NormalizedDn,
    scope: SearchScope | 'base',
  ): AsyncGenerator<DirectoryEntry, boolean> {
    const filter = this.compile(request);
    const requested = new Set(request.attributes.map((a) => a.toLowerCase()));
    const all = requested.size === 0 || requested.has('*');
    const binary = new Set(request.bufferAttributes.map((a) => a.toLowerCase()));
    const withMemberOf = all || requested.has('memberof');
    const membership = filter.needsMembership || withMemberOf ? await this.loadMembership() : NO_MEMBERSHIP;
    const read = new Set([...requested, ...filter.attributes]);
    const wanted = all ? undefined : (name: string): boolean => read.has(name);

    let baseFound = base.length === 0;
    for await (const record of this.pass(wanted)) {
      const dn = this.parseRecordDn(record);
      if (!inScope(dn, base, 'sub')) continue;
      // An entry at or below the base proves it exists, even when the export left the OU itself out.
      baseFound = true;
      if (scope !== 'sub' && !inScope(dn, base, scope)) continue;
      const normalized = dn.join(',');
      if (!filter.test(new RecordView(record, normalized), membership)) continue;
      yield new DirectoryEntry(
        toEntry(record, {
          all,
          requested,
          binary,
          memberOf: withMemberOf ? membership.groupsOf(normalized) : undefined,
        }),
      );
    }
    return baseFound;
  }

  private compile(request: { filter: string; location: string; base: string }): CompiledFilter {
    try {
      return compileFilter(request.filter);
    } catch (error) {
      throw new DirectoryError('LDAP_SEARCH', `${this.where(request)} failed: ${describeError(error)}`, {
        hint: 'Check directory.filter and directory.userFilter.',
        cause: error,
      });
    }
  }

  /**
   * Entries matching a filter, at most `limit`; a base that is not in the file has none.
   * @param request base, scope, filter, attributes and limit
   */
  public async find(request: FindRequest): Promise<SourceEntry[]> {
    const found: SourceEntry[] = [];
    const base = parseDn(request.base);
    if (base === undefined) return found;
    const entries = this.select({ ...request, location: '' }, base, request.scope);
    for await (const entry of entries) {
      found.push(entry);
      if (found.length >= request.limit) break;
    }
    return found;
  }

  /** An LDIF export carries no schema: only the fixed list of binary attributes applies. */
  public schemaSyntaxes(): Promise<SchemaSyntaxes> {
    return Promise.resolve({ read: false, why: 'an LDIF export carries no schema' });
  }

  /**
   * Whether one entry of the file matches each filter (one pass over the file for all of them).
   * @param dn the entry
   * @param filters the filters
   */
  public async matches(dn: string, filters: readonly string[]): Promise<boolean[]> {
    const compiled = filters.map((filter) => this.compile({ filter, location: '', base: dn }));
    const answers = filters.map(() => false);
    const target = normalizeDn(dn);
    if (target === undefined) return answers;
    const membership = compiled.some((f) => f.needsMembership) ? await this.loadMembership() : NO_MEMBERSHIP;
    const read = new Set(compiled.flatMap((f) => [...f.attributes]));
    for await (const record of this.pass((name) => read.has(name))) {
      if (this.parseRecordDn(record).join(',') !== target) continue;
      const view = new RecordView(record, target);
      compiled.forEach((f, i) => (answers[i] = f.test(view, membership)));
      break;
    }
    return answers;
  }

  /** Forget what was read (nothing stays open between passes). */
  public close(): Promise<void> {
    this.membership = undefined;
    this.fingerprint = undefined;
    return Promise.resolve();
  }
}

/**
 * An LDIF record as ldapts would hand over the same entry: only the requested attributes (with
 * their subtypes), values as text unless the attribute is asked for as bytes, has the `;binary`
 * option, or holds a value that is not UTF-8 (then all its values are bytes, as ldapts does).
 */
function toEntry(
  record: LdifRecord,
  options: {
    all: boolean;
    requested: ReadonlySet<string>;
    binary: ReadonlySet<string>;
    memberOf: ReadonlyMap<string, string> | undefined;
  },
): Entry {
  const entry: Entry = { dn: record.dn };
  for (const [key, attribute] of record.attributes) {
    const semicolon = key.indexOf(';');
    const base = semicolon < 0 ? key : key.slice(0, semicolon);
    if (!options.all && !options.requested.has(base)) continue;
    if (base === 'memberof' && key === base) continue;
    const bytes =
      options.binary.has(base) || /;binary(;|$)/.test(key) || !attribute.values.every((v) => isUtf8(v));
    // Copies: the values are views into the file's read buffer.
    entry[attribute.description] = bytes
      ? attribute.values.map((v) => Buffer.from(v))
      : attribute.values.map((v) => v.toString('utf8'));
  }
  if (options.memberOf && options.memberOf.size > 0) entry.memberOf = [...options.memberOf.values()];
  return entry;
}
