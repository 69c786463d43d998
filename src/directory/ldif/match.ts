import {
  AndFilter,
  ApproximateFilter,
  EqualityFilter,
  ExtensibleFilter,
  FilterParser,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
  type Filter,
} from 'ldapts';

import { foldText, normalizeDn } from '../dn.js';
import { IN_CHAIN, normalizeFilter } from '../filter.js';

/**
 * LDAP filters evaluated against entries read from a file, with a directory server's semantics.
 * The filter text is parsed by ldapts's FilterParser, the same parser that encodes filters for a
 * live server (and validates them at config load), so both sources read a filter alike. Its
 * `matches` methods are not used: they see one value per attribute, compare attribute names
 * case-sensitively and do not implement extensible matching.
 */

/** An entry as the filter sees it. */
export interface MatchEntry {
  /** The entry's normalised DN (see {@link normalizeDn}). */
  readonly dn: string;
  /**
   * Text values of an attribute, including its subtypes (`cn;lang-fr` for `cn`).
   * @param name lower-case attribute name
   */
  text(name: string): readonly string[];
}

/** Group membership resolved over the whole file (groups' `member` and entries' `memberOf`). */
export interface Membership {
  /**
   * The groups an entry is a direct member of: normalised DN → DN as written.
   * @param dn the entry's normalised DN
   */
  groupsOf(dn: string): ReadonlyMap<string, string>;
  /**
   * Whether an entry is a member of a group directly or through nested groups.
   * @param dn the entry's normalised DN
   * @param group the group's normalised DN
   */
  inChain(dn: string, group: string): boolean;
}

/** A filter ready to test entries. */
export interface CompiledFilter {
  /** Lower-case attribute names the filter reads. */
  attributes: ReadonlySet<string>;
  /** Whether it needs group membership (memberOf, member in-chain). */
  needsMembership: boolean;
  /**
   * @param entry the entry
   * @param membership group membership (only consulted when {@link needsMembership})
   */
  test(entry: MatchEntry, membership: Membership): boolean;
}

/** A filter the file source cannot evaluate the way a server would. */
export class UnsupportedFilterError extends Error {}

type Test = (entry: MatchEntry, membership: Membership) => boolean;

/** AD's bitwise matching rules (LDAP_MATCHING_RULE_BIT_AND / _BIT_OR). */
const BIT_AND = '1.2.840.113556.1.4.803';
const BIT_OR = '1.2.840.113556.1.4.804';

/** Attributes whose values are DNs: compared as DNs (case, spaces and escapes do not matter). */
const DN_ATTRIBUTES = new Set([
  'member',
  'memberof',
  'uniquemember',
  'manager',
  'directreports',
  'distinguishedname',
  'entrydn',
  'owner',
  'seealso',
  'secretary',
  'managedby',
]);

/**
 * AD stores objectCategory as a DN (`CN=Person,CN=Schema,CN=Configuration,…`) and reads a filter
 * `(objectCategory=user)` as the class's default category: these classes' default is Person.
 */
const DEFAULT_CATEGORY: Record<string, string | undefined> = {
  user: 'person',
  contact: 'person',
  inetorgperson: 'person',
};

const INTEGER = /^-?\d+$/;

/** The text of an assertion value (ldapts gives a string, or bytes for a binary value). */
const assertionText = (value: string | Buffer): string =>
  typeof value === 'string' ? value : value.toString('utf8');

function equality(name: string, raw: string): Test {
  if (name === 'objectcategory') {
    const asDn = raw.includes('=') ? normalizeDn(raw) : undefined;
    const folded = foldText(raw);
    const category = `cn=${DEFAULT_CATEGORY[folded] ?? folded}`;
    return (entry) =>
      entry.text(name).some((v) => {
        const value = normalizeDn(v);
        if (asDn !== undefined) return value === asDn;
        return value === undefined ? foldText(v) === folded : value.split(',')[0] === category;
      });
  }
  if (name === 'memberof') {
    // memberOf is computed by servers (AD back-link, OpenLDAP overlay); the membership index holds
    // both the groups' member lists and the entries' own memberOf values found in the file.
    const group = normalizeDn(raw) ?? foldText(raw);
    return (entry, membership) => membership.groupsOf(entry.dn).has(group);
  }
  if (DN_ATTRIBUTES.has(name)) {
    const asDn = normalizeDn(raw) ?? foldText(raw);
    return (entry) => entry.text(name).some((v) => (normalizeDn(v) ?? foldText(v)) === asDn);
  }
  const folded = foldText(raw);
  return (entry) => entry.text(name).some((v) => foldText(v) === folded);
}

function ordering(name: string, raw: string, greater: boolean): Test {
  const folded = foldText(raw);
  const numeric = INTEGER.test(folded) ? BigInt(folded) : undefined;
  return (entry) =>
    entry.text(name).some((v) => {
      const value = foldText(v);
      if (numeric !== undefined && INTEGER.test(value)) {
        const n = BigInt(value);
        return greater ? n >= numeric : n <= numeric;
      }
      return greater ? value >= folded : value <= folded;
    });
}

function substrings(name: string, f: SubstringFilter): Test {
  const initial = foldText(f.initial);
  const any = f.any.map(foldText).filter((s) => s !== '');
  const final = foldText(f.final);
  return (entry) =>
    entry.text(name).some((v) => {
      const value = foldText(v);
      if (!value.startsWith(initial)) return false;
      let at = initial.length;
      for (const part of any) {
        const found = value.indexOf(part, at);
        if (found < 0) return false;
        at = found + part.length;
      }
      return value.length - final.length >= at && value.endsWith(final);
    });
}

function extensible(f: ExtensibleFilter, attributes: Set<string>, flags: { membership: boolean }): Test {
  const name = f.matchType.toLowerCase();
  const rule = f.rule.toLowerCase();
  const shown = f.toString();
  if (name === '' || f.dnAttributes) {
    throw new UnsupportedFilterError(
      `${shown}: extensible matches on DN components (":dn:") or without an attribute are not supported by the LDIF source`,
    );
  }
  attributes.add(name);
  switch (rule) {
    case BIT_AND:
    case BIT_OR: {
      if (!INTEGER.test(f.value.trim()))
        throw new UnsupportedFilterError(`${shown}: the bitwise rule needs an integer`);
      const mask = BigInt(f.value.trim());
      return (entry) =>
        entry.text(name).some((v) => {
          const value = v.trim();
          if (!INTEGER.test(value)) return false;
          const bits = BigInt(value) & mask;
          return rule === BIT_AND ? bits === mask : bits !== 0n;
        });
    }
    case IN_CHAIN: {
      const group = normalizeDn(f.value);
      if (group === undefined) throw new UnsupportedFilterError(`${shown}: "${f.value}" is not a DN`);
      flags.membership = true;
      // memberOf:…1941:=G — the entry is in G through any depth of nested groups;
      // member:…1941:=X — the entry is a group that holds X through any depth.
      if (name === 'memberof') return (entry, membership) => membership.inChain(entry.dn, group);
      if (name === 'member') return (entry, membership) => membership.inChain(group, entry.dn);
      throw new UnsupportedFilterError(
        `${shown}: the in-chain rule is supported on memberOf and member only by the LDIF source`,
      );
    }
    case '':
    case '2.5.13.2':
    case 'caseignorematch':
    case '2.5.13.1':
    case 'distinguishednamematch':
      if (name === 'memberof') flags.membership = true;
      return equality(name, f.value);
    case '2.5.13.5':
    case 'caseexactmatch':
      return (entry) => entry.text(name).some((v) => v.normalize('NFKC').trim() === f.value.trim());
    default:
      throw new UnsupportedFilterError(
        `${shown}: matching rule ${f.rule} is not supported by the LDIF source (supported: AD's 1.2.840.113556.1.4.803, .804 and .1941, caseIgnoreMatch, caseExactMatch, distinguishedNameMatch)`,
      );
  }
}

function compile(filter: Filter, attributes: Set<string>, flags: { membership: boolean }): Test {
  if (filter instanceof AndFilter) {
    const parts = filter.filters.map((f) => compile(f, attributes, flags));
    return (entry, membership) => parts.every((t) => t(entry, membership));
  }
  if (filter instanceof OrFilter) {
    const parts = filter.filters.map((f) => compile(f, attributes, flags));
    return (entry, membership) => parts.some((t) => t(entry, membership));
  }
  if (filter instanceof NotFilter) {
    const inner = compile(filter.filter, attributes, flags);
    return (entry, membership) => !inner(entry, membership);
  }
  if (filter instanceof ExtensibleFilter) return extensible(filter, attributes, flags);
  if (
    filter instanceof EqualityFilter ||
    filter instanceof ApproximateFilter ||
    filter instanceof PresenceFilter ||
    filter instanceof SubstringFilter ||
    filter instanceof GreaterThanEqualsFilter ||
    filter instanceof LessThanEqualsFilter
  ) {
    const name = filter.attribute.toLowerCase();
    attributes.add(name);
    if (name === 'memberof') flags.membership = true;
    if (filter instanceof PresenceFilter) {
      // Every entry has an object class; servers answer (objectClass=*) with every entry.
      if (name === 'objectclass') return () => true;
      if (name === 'memberof') return (entry, membership) => membership.groupsOf(entry.dn).size > 0;
      return (entry) => entry.text(name).length > 0;
    }
    if (filter instanceof SubstringFilter) return substrings(name, filter);
    if (filter instanceof GreaterThanEqualsFilter) return ordering(name, filter.value, true);
    if (filter instanceof LessThanEqualsFilter) return ordering(name, filter.value, false);
    // Approximate matching is the server's choice; equality is what OpenLDAP does without an index.
    return equality(name, assertionText(filter.value));
  }
  throw new UnsupportedFilterError(`${filter.toString()}: this kind of filter is not supported`);
}

/**
 * Parse and compile an LDAP filter for entries read from a file.
 * @param text the filter (outer parentheses optional)
 * @throws {UnsupportedFilterError} for a matching rule the file source cannot evaluate
 * @throws {Error} from ldapts's parser for a filter that does not parse
 */
export function compileFilter(text: string): CompiledFilter {
  const attributes = new Set<string>();
  const flags = { membership: false };
  const test = compile(FilterParser.parseString(normalizeFilter(text)), attributes, flags);
  return { attributes, needsMembership: flags.membership, test };
}
