import { dirname, resolve } from 'node:path';

import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';

import { compileColumns, type ColumnSet } from '../mapping/columns.js';
import type { DirectoryKind } from '../mapping/profiles.js';
import type { ConfigIssue } from './issues.js';
import type { ConfigInput } from './schema.js';

/** Default user filters per directory kind (people only; AD: enabled accounts only). */
export const DEFAULT_USER_FILTERS: Record<DirectoryKind, string> = {
  ldap: '(objectClass=inetOrgPerson)',
  ad: '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
};

/** One configured location entry (entries sharing a slug form one location). */
export interface LocationConfig {
  /** Position in `locations:`, for messages. */
  index: number;
  /** Slug written to the location column; '' = all locations. */
  slug: string;
  /** Search bases. */
  ous: string[];
  /** Group DNs: only their members belong here. */
  groups: string[];
  /** Search scope. */
  scope: 'sub' | 'one';
  /** Membership through nested groups (AD in-chain matching rule). */
  nested: boolean;
}

/** The config after validation, defaults and path resolution: what the rest of adsync uses. */
export interface ResolvedConfig {
  /** The config file. */
  filepath: string;
  /** Directory settings. */
  directory: {
    kind: DirectoryKind;
    urls: string[];
    bindDN: string | undefined;
    bindPassword: string | undefined;
    startTLS: boolean;
    caFile: string | undefined;
    tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
    baseDN: string | undefined;
    userFilter: string;
    filter: string | undefined;
    pageSize: number;
    connectTimeoutMs: number;
    timeoutMs: number;
  };
  /** Location entries in config order. */
  locations: LocationConfig[];
  /** Upload target settings. */
  target: ConfigInput['target'];
  /** The CSV layout. */
  layout: ColumnSet;
  /** Phone number reading. */
  phone: { defaultCountry: CountryCode | undefined };
  /** Output files. */
  output: { dir: string; keep: number; bom: boolean };
  /** Guards against mass archiving. */
  safety: {
    maxArchive: number;
    maxArchivePercent: number;
    mustInclude: string[];
    lockTimeoutMinutes: number;
  };
  /** Where state, locks and history live. */
  stateDir: string;
}

/**
 * Stages 2 and 3 of validation: apply defaults, resolve paths against the config file's
 * directory (so cron and Task Scheduler runs do not depend on the working directory), and check
 * the rules that involve more than one key.
 * @param input the schema-valid config
 * @param filepath the config file
 */
export function normalizeConfig(
  input: ConfigInput,
  filepath: string,
): { config: ResolvedConfig; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const baseDir = dirname(filepath);
  const d = input.directory;
  const urls = Array.isArray(d.url) ? d.url : [d.url];

  if (d.startTLS) {
    urls.forEach((url, i) => {
      if (/^ldaps:/i.test(url)) {
        issues.push({
          path: ['directory', 'url', ...(Array.isArray(d.url) ? [i] : [])],
          message: `${url} is already TLS (ldaps://); startTLS needs an ldap:// URL — use one or the other`,
        });
      }
    });
  }
  if (d.bindPassword !== undefined && d.bindDN === undefined) {
    issues.push({ path: ['directory', 'bindDN'], message: 'bindPassword is set but bindDN is missing' });
  }
  if (d.bindDN !== undefined && (d.bindPassword === undefined || d.bindPassword === '')) {
    issues.push({
      path: ['directory', 'bindPassword'],
      message:
        'bindDN is set but bindPassword is missing or empty (an empty password would be an unauthenticated bind)',
    });
  }

  const locations = input.locations.map((l, index): LocationConfig => {
    const ous = l.ous ?? [];
    const groups = l.groups ?? [];
    if (ous.length === 0 && groups.length === 0) {
      issues.push({ path: ['locations', index], message: 'a location needs ous, groups, or both' });
    }
    if (ous.length === 0 && groups.length > 0 && d.baseDN === undefined) {
      issues.push({
        path: ['locations', index, 'groups'],
        message: 'a location with groups and no ous searches from directory.baseDN, which is not set',
      });
    }
    if (l.nested === true && d.kind === 'ldap') {
      issues.push({
        path: ['locations', index, 'nested'],
        message:
          'nested group membership uses the Active Directory in-chain rule; with kind: ldap only direct memberOf works',
      });
    }
    return {
      index,
      slug: l.slug ?? '',
      ous,
      groups,
      scope: l.scope ?? 'sub',
      nested: l.nested ?? d.kind === 'ad',
    };
  });
  const slugs = new Set(locations.map((l) => l.slug));
  if (slugs.has('') && slugs.size > 1) {
    issues.push({
      path: ['locations'],
      message: 'a location without slug means "all locations" and cannot be mixed with slugged locations',
    });
  }

  if (input.target.profile === 'custom' && input.target.locationColumn === undefined && slugs.size > 1) {
    issues.push({
      path: ['target', 'locationColumn'],
      message:
        'the custom profile has several locations but no locationColumn: rows would not say their location',
    });
  }
  const country = input.phone?.defaultCountry;
  if (country !== undefined && !isSupportedCountry(country)) {
    issues.push({
      path: ['phone', 'defaultCountry'],
      message: `${country} is not a country code libphonenumber knows`,
    });
  }

  const { set, issues: layoutIssues } = compileColumns({
    profile: input.target.profile,
    locationColumn: input.target.locationColumn,
    kind: d.kind,
    columns: input.columns,
  });
  issues.push(...layoutIssues);

  return {
    config: {
      filepath,
      directory: {
        kind: d.kind,
        urls,
        bindDN: d.bindDN,
        bindPassword: d.bindPassword,
        startTLS: d.startTLS ?? false,
        caFile: d.caFile === undefined ? undefined : resolve(baseDir, d.caFile),
        tlsMinVersion: d.tlsMinVersion ?? 'TLSv1.2',
        baseDN: d.baseDN,
        userFilter: d.userFilter ?? DEFAULT_USER_FILTERS[d.kind],
        filter: d.filter,
        pageSize: d.pageSize ?? 500,
        connectTimeoutMs: (d.connectTimeoutSeconds ?? 10) * 1000,
        timeoutMs: (d.timeoutSeconds ?? 60) * 1000,
      },
      locations,
      target: input.target,
      layout: set,
      phone: { defaultCountry: country !== undefined && isSupportedCountry(country) ? country : undefined },
      safety: {
        maxArchive: input.safety?.maxArchive ?? 25,
        maxArchivePercent: input.safety?.maxArchivePercent ?? 10,
        mustInclude: (input.safety?.mustInclude ?? []).map((e) => e.toLowerCase()),
        lockTimeoutMinutes: input.safety?.lockTimeoutMinutes ?? 120,
      },
      stateDir: resolve(baseDir, input.state?.dir ?? './adsync-state'),
      output: {
        dir: resolve(baseDir, input.output?.dir ?? './adsync-output'),
        keep: input.output?.keep ?? 30,
        bom: input.output?.bom ?? false,
      },
    },
    issues,
  };
}
