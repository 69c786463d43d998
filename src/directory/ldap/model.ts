import { z } from 'zod';

import type { DirectoryInput, SourceRuleContext } from '../descriptor.js';
import { DEFAULT_USER_FILTERS, filterProblem } from '../filter.js';
import type { DirectoryKind, SourceIssue, SourceSettings } from '../types.js';

/**
 * The LDAP data model both LDAP sources share (a server, and an LDIF export of one): entries
 * named by DNs, selected by filters under search bases, grouped by memberOf. Its `directory:`
 * keys, their resolved form and the rules that hold for them and for the locations' OUs and
 * groups.
 */

/** The settings of a source of the LDAP model. */
export interface LdapModelSettings extends SourceSettings {
  /** Search base for locations that list groups but no OUs. */
  baseDN: string | undefined;
  /** The people filter (the flavour's default unless replaced). */
  userFilter: string;
  /** Extra filter ANDed with the user filter. */
  filter: string | undefined;
}

/** The LDAP model's keys of `directory:`. */
export const MODEL_KEYS = {
  baseDN: z.string().min(1).optional().describe('Search base for locations that list groups but no OUs.'),
  userFilter: z.string().min(1).optional().describe("Replaces the kind's default user filter."),
  filter: z.string().min(1).optional().describe("Extra LDAP filter ANDed with the kind's user filter."),
};

const modelInput = z.object(MODEL_KEYS);

/**
 * The model's settings of a `directory:` section.
 * @param input the section (schema-valid)
 * @param flavor the directory's flavour (picks the default user filter)
 */
export function modelSettings(
  input: DirectoryInput,
  flavor: DirectoryKind,
): Omit<LdapModelSettings, 'kind' | 'secrets' | 'files'> {
  const d = modelInput.parse(input);
  return {
    flavor,
    // AD follows nested groups with its in-chain rule; elsewhere adsync walks them (nested.ts).
    nestedGroups: true,
    baseDN: d.baseDN,
    userFilter: d.userFilter ?? DEFAULT_USER_FILTERS[flavor],
    filter: d.filter,
  };
}

/**
 * Whether the directory counts nested group membership itself, with AD's in-chain rule
 * (`memberOf:1.2.840.113556.1.4.1941:=`); without it adsync walks the nested groups.
 * @param settings the source's settings
 */
export function hasInChain(settings: Pick<LdapModelSettings, 'flavor'>): boolean {
  return settings.flavor === 'ad';
}

/**
 * The model's rules: filters parse, each location searches somewhere, no DN split by YAML.
 * @param context the section and the locations
 */
export function modelIssues(context: SourceRuleContext<LdapModelSettings>): SourceIssue[] {
  return [...locationSearches(context), ...splitDns(context), ...directoryFilters(context)];
}

/** Each location searches somewhere. */
function locationSearches({ settings, locations }: SourceRuleContext<LdapModelSettings>): SourceIssue[] {
  const issues: SourceIssue[] = [];
  for (const l of locations) {
    if (l.ous.length === 0 && l.groups.length === 0) {
      issues.push({ path: ['locations', l.index], message: 'a location needs ous, groups, or both' });
    }
    if (l.ous.length === 0 && l.groups.length > 0 && settings.baseDN === undefined) {
      issues.push({
        path: ['locations', l.index, 'groups'],
        message: 'a location with groups and no ous searches from directory.baseDN, which is not set',
      });
    }
  }
  return issues;
}

/**
 * A DN split by YAML: in a flow list (`ous: [ou=hq,dc=corp,dc=com]`) every comma separates
 * items, so one DN becomes single RDNs (`ou=hq`, `dc=corp`, `dc=com`) that each search or match
 * nothing, and the run fails far from the cause. Caught here, with the line to write instead.
 */
function splitDns({ locations }: SourceRuleContext<LdapModelSettings>): SourceIssue[] {
  const rdn = /^[A-Za-z][\w-]*=[^,]*$/;
  return locations.flatMap((l) =>
    (['ous', 'groups'] as const).flatMap((key): SourceIssue[] => {
      const list = l[key];
      const split =
        list.length > 1 && list.every((v) => rdn.test(v.trim())) && list.some((v) => /^dc=/i.test(v.trim()));
      if (!split) return [];
      return [
        {
          path: ['locations', l.index, key],
          message: `looks like one DN split at its commas (${list.join(', ')}): in a [a, b] list YAML splits at every comma; quote the DN: ${key}: ["${list.map((v) => v.trim()).join(',')}"], or write one DN per line under ${key}:`,
        },
      ];
    }),
  );
}

/** The user filters must parse, as the server (and the LDIF source) will read them. */
function directoryFilters({ input }: SourceRuleContext<LdapModelSettings>): SourceIssue[] {
  const d = modelInput.parse(input);
  return (['filter', 'userFilter'] as const).flatMap((key): SourceIssue[] => {
    const value = d[key];
    const problem = value === undefined ? undefined : filterProblem(value);
    return problem ? [{ path: ['directory', key], message: `is not a valid LDAP filter: ${problem}` }] : [];
  });
}
