import { Filter, FilterParser } from 'ldapts';

import type { DirectoryKind } from './types.js';

/** Default user filters per directory kind (people only; AD: enabled accounts only). */
export const DEFAULT_USER_FILTERS: Record<DirectoryKind, string> = {
  ldap: '(objectClass=inetOrgPerson)',
  ad: '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
};

/**
 * Escape a value for use inside an LDAP filter (RFC 4515): `*`, `(`, `)`, `\` and NUL, with
 * ldapts's own escaping (the client that sends the filter).
 * @param value a literal value, such as a group DN
 */
export function escapeFilterValue(value: string): string {
  return Filter.escape(value);
}

/**
 * Wrap a filter written without outer parentheses (`mail=*`) the way admins often write it.
 * @param filter a filter from config
 */
export function normalizeFilter(filter: string): string {
  const f = filter.trim();
  return f.startsWith('(') ? f : `(${f})`;
}

/**
 * Check that a filter parses; returns the parser's complaint when it does not.
 * @param filter an LDAP filter string
 */
export function filterProblem(filter: string): string | undefined {
  try {
    FilterParser.parseString(normalizeFilter(filter));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** What a location search selects. */
export interface FilterParts {
  /** The directory kind's user filter (or its configured replacement). */
  userFilter: string;
  /** The configured extra filter. */
  filter?: string | undefined;
  /** Group DNs; a person must be a member of at least one. */
  groups: readonly string[];
  /** Count membership through nested groups (AD's LDAP_MATCHING_RULE_IN_CHAIN). */
  nested?: boolean | undefined;
  /** The clause of membership in one group, in place of {@link memberFilter} (nested groups walked). */
  member?: ((dn: string) => string) | undefined;
}

/** AD's matching rule that follows nested group membership. */
export const IN_CHAIN = '1.2.840.113556.1.4.1941';

/**
 * The filter clause of membership in one group: direct (`memberOf`), or through nested groups.
 * @param dn the group's DN (escaped here)
 * @param nested count membership through nested groups (AD's in-chain rule)
 */
export function memberFilter(dn: string, nested: boolean | undefined): string {
  return `(${nested === true ? `memberOf:${IN_CHAIN}:` : 'memberOf'}=${escapeFilterValue(dn)})`;
}

/**
 * The filter clause of direct membership in any of some groups: `(memberOf=A)`, or
 * `(|(memberOf=A)(memberOf=B)…)`. A group and the groups found inside it, on a directory without
 * the in-chain rule.
 * @param dns the groups' DNs (escaped here); at least one
 */
export function anyMemberFilter(dns: readonly string[]): string {
  const each = dns.map((dn) => memberFilter(dn, false));
  return each.length === 1 ? (each[0] ?? '') : `(|${each.join('')})`;
}

/**
 * Build the search filter of a location: user filter AND extra filter AND (member of any group).
 * Group DNs are escaped, so a DN containing parentheses cannot change the filter's meaning.
 * @param parts the pieces to combine
 */
export function buildLocationFilter(parts: FilterParts): string {
  const clauses = [normalizeFilter(parts.userFilter)];
  if (parts.filter !== undefined) clauses.push(normalizeFilter(parts.filter));
  const member = parts.member ?? ((dn: string): string => memberFilter(dn, parts.nested));
  if (parts.groups.length === 1) clauses.push(member(parts.groups[0] ?? ''));
  if (parts.groups.length > 1) clauses.push(`(|${parts.groups.map(member).join('')})`);
  return clauses.length === 1 ? (clauses[0] ?? '') : `(&${clauses.join('')})`;
}
