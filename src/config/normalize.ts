import { dirname, resolve } from 'node:path';

import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { validateDetailed } from 'node-cron';

import { compileColumns, type ColumnSet } from '../mapping/columns.js';
import { ldifUrl } from '../directory/ldif/source.js';
import type { DirectoryKind } from '../mapping/profiles.js';
import type { ConfigIssue } from './issues.js';
import type { ConfigInput } from './schema.js';
import { normalizeTarget, type ResolvedTarget } from './target.js';

/** Default user filters per directory kind (people only; AD: enabled accounts only). */
export const DEFAULT_USER_FILTERS: Record<DirectoryKind, string> = {
  ldap: '(objectClass=inetOrgPerson)',
  ad: '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
};

/** Keys that only mean something for a directory server, refused with kind: ldif. */
const SERVER_KEYS = [
  'url',
  'bindDN',
  'bindPassword',
  'startTLS',
  'caFile',
  'tlsMinVersion',
  'pageSize',
  'connectTimeoutSeconds',
  'timeoutSeconds',
] as const;

/** A server needs a URL and no file; an LDIF file needs a file and no server settings. */
function directorySourceIssues(d: ConfigInput['directory']): ConfigIssue[] {
  if (d.kind === 'ldif') {
    const issues: ConfigIssue[] = SERVER_KEYS.filter((key) => d[key] !== undefined).map((key) => ({
      path: ['directory', key],
      message:
        'is for a directory server, but kind: ldif reads directory.file: remove it (or use kind: ad or ldap to read a server)',
    }));
    if (d.file === undefined) {
      issues.push({
        path: ['directory', 'file'],
        message: 'is required with kind: ldif (the LDIF export to read, relative to this config file)',
      });
    }
    return issues;
  }
  const issues: ConfigIssue[] = (['file', 'flavor'] as const)
    .filter((key) => d[key] !== undefined)
    .map((key) => ({
      path: ['directory', key],
      message: `is only used with kind: ldif; kind: ${d.kind} reads the server at directory.url: remove it`,
    }));
  if (d.url === undefined) {
    issues.push({
      path: ['directory', 'url'],
      message: `is required with kind: ${d.kind} (e.g. ldaps://dc1.corp.example.com); to read an LDIF export use kind: ldif with directory.file`,
    });
  }
  return issues;
}

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
    /** ad | ldap: for kind: ldif, the flavor (defaults of the directory it was exported from). */
    kind: DirectoryKind;
    /** Server URLs; for kind: ldif the file's `ldif:///…` URL, the one "server" check reports. */
    urls: string[];
    /** kind: ldif: the LDIF file read instead of a server (absolute); undefined for a server. */
    ldifFile: string | undefined;
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
  /** Upload target settings, defaults applied. */
  target: ResolvedTarget;
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
  /** When scheduled runs happen (undefined: no `schedule:` section). */
  schedule:
    | {
        cron: string;
        timezone: string | undefined;
        randomDelayMs: number;
        statusFile: string;
      }
    | undefined;
  /** Longest a run may take, in ms (`schedule.timeoutMinutes`, default 30 min). */
  runTimeoutMs: number;
  /** The JSON-lines log file, if any. */
  logging: { file: string; level: 'info' | 'debug'; maxBytes: number; keep: number } | undefined;
  /** Failure notifications, if any. */
  notify:
    { webhook: string; on: ('failure' | 'guard' | 'success')[]; caFile: string | undefined } | undefined;
}

/**
 * Problems with a cron expression and time zone, as node-cron sees them.
 * @param cron the expression
 * @param timezone an IANA zone name, if any
 */
export function scheduleProblems(cron: string, timezone: string | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const checked = validateDetailed(cron);
  if (!checked.valid) {
    issues.push({
      path: ['schedule', 'cron'],
      message: `"${cron}" is not a cron expression node-cron accepts: ${checked.errors.map((e) => e.message).join('; ')} (use minute hour day-of-month month day-of-week, e.g. "0 6 * * *")`,
    });
  }
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone });
    } catch {
      issues.push({
        path: ['schedule', 'timezone'],
        message: `"${timezone}" is not an IANA time zone this system knows (e.g. America/Toronto, Europe/Paris, UTC)`,
      });
    }
  }
  return issues;
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
  // kind: ldif reads a file with the defaults of the directory it was exported from (flavor).
  const kind: DirectoryKind = d.kind === 'ldif' ? (d.flavor ?? 'ldap') : d.kind;
  const ldifFile = d.kind === 'ldif' && d.file !== undefined ? resolve(baseDir, d.file) : undefined;
  const configuredUrls = d.url === undefined ? [] : Array.isArray(d.url) ? d.url : [d.url];
  const urls = ldifFile === undefined ? configuredUrls : [ldifUrl(ldifFile)];
  issues.push(...directorySourceIssues(d));

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
    if (l.nested === true && kind === 'ldap') {
      issues.push({
        path: ['locations', index, 'nested'],
        message: `nested group membership uses the Active Directory in-chain rule; with ${d.kind === 'ldif' ? 'flavor' : 'kind'}: ldap only direct memberOf works`,
      });
    }
    return {
      index,
      slug: l.slug ?? '',
      ous,
      groups,
      scope: l.scope ?? 'sub',
      nested: l.nested ?? kind === 'ad',
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

  if (input.schedule) issues.push(...scheduleProblems(input.schedule.cron, input.schedule.timezone));
  if (input.notify && !/^https:/i.test(input.notify.webhook)) {
    issues.push({
      path: ['notify', 'webhook'],
      message: 'the webhook must be an https:// URL (notifications follow the same TLS rules as the upload)',
    });
  }
  const stateDir = resolve(baseDir, input.state?.dir ?? './adsync-state');
  const target = normalizeTarget(input.target, baseDir);
  issues.push(...target.issues);

  const { set, issues: layoutIssues } = compileColumns({
    profile: input.target.profile,
    locationColumn: input.target.locationColumn,
    kind,
    columns: input.columns,
  });
  issues.push(...layoutIssues);

  return {
    config: {
      filepath,
      directory: {
        kind,
        urls,
        ldifFile,
        bindDN: d.bindDN,
        bindPassword: d.bindPassword,
        startTLS: d.startTLS ?? false,
        caFile: d.caFile === undefined ? undefined : resolve(baseDir, d.caFile),
        tlsMinVersion: d.tlsMinVersion ?? 'TLSv1.2',
        baseDN: d.baseDN,
        userFilter: d.userFilter ?? DEFAULT_USER_FILTERS[kind],
        filter: d.filter,
        pageSize: d.pageSize ?? 500,
        connectTimeoutMs: (d.connectTimeoutSeconds ?? 10) * 1000,
        timeoutMs: (d.timeoutSeconds ?? 60) * 1000,
      },
      locations,
      target: target.target,
      layout: set,
      phone: { defaultCountry: country !== undefined && isSupportedCountry(country) ? country : undefined },
      safety: {
        maxArchive: input.safety?.maxArchive ?? 25,
        maxArchivePercent: input.safety?.maxArchivePercent ?? 10,
        mustInclude: (input.safety?.mustInclude ?? []).map((e) => e.toLowerCase()),
        lockTimeoutMinutes: input.safety?.lockTimeoutMinutes ?? 120,
      },
      stateDir,
      schedule: input.schedule && {
        cron: input.schedule.cron,
        timezone: input.schedule.timezone,
        randomDelayMs: Math.round((input.schedule.randomDelayMinutes ?? 0) * 60_000),
        statusFile:
          input.schedule.statusFile === undefined
            ? resolve(stateDir, 'schedule-status.json')
            : resolve(baseDir, input.schedule.statusFile),
      },
      runTimeoutMs: Math.round((input.schedule?.timeoutMinutes ?? 30) * 60_000),
      logging: input.logging && {
        file: resolve(baseDir, input.logging.file),
        level: input.logging.level ?? 'info',
        maxBytes: Math.round((input.logging.maxSizeMB ?? 10) * 1024 * 1024),
        keep: input.logging.keep ?? 5,
      },
      notify: input.notify && {
        webhook: input.notify.webhook,
        on: input.notify.on ?? ['failure', 'guard'],
        caFile: input.notify.caFile === undefined ? undefined : resolve(baseDir, input.notify.caFile),
      },
      output: {
        dir: resolve(baseDir, input.output?.dir ?? './adsync-output'),
        keep: input.output?.keep ?? 30,
        bom: input.output?.bom ?? false,
      },
    },
    issues,
  };
}
