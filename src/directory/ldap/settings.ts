import { resolve } from 'node:path';

import { z } from 'zod';

import { urlCredentials } from '../../util/url-secrets.js';
import type { DirectoryInput, SourceRuleContext } from '../descriptor.js';
import {
  DIRECTORY_FLAVORS,
  TLS_VERSIONS,
  type DirectoryKind,
  type SourceIssue,
  type TlsVersion,
} from '../types.js';
import { MODEL_KEYS, modelSettings, type LdapModelSettings } from './model.js';

/** The settings of a directory server (`kind: ad` or `kind: ldap`). */
export interface LdapServerSettings extends LdapModelSettings {
  readonly kind: DirectoryKind;
  /** Server URLs, tried in order when one cannot be reached. */
  urls: string[];
  bindDN: string | undefined;
  bindPassword: string | undefined;
  startTLS: boolean;
  /** PEM file of the CA(s) that issued the server certificate (absolute). */
  caFile: string | undefined;
  /** Trust the operating system's certificate store besides Node's roots (default yes). */
  trustSystemStore: boolean;
  tlsMinVersion: TlsVersion;
  pageSize: number;
  connectTimeoutMs: number;
  timeoutMs: number;
}

const ldapUrl = z
  .string()
  .regex(
    /^ldaps?:\/\/[^\s/]+\/?$/i,
    'an LDAP URL such as ldaps://dc1.corp.example.com or ldap://127.0.0.1:389',
  );

/** A server's own keys of `directory:` (besides the LDAP model's). */
export const SERVER_KEYS = {
  url: z
    .union([ldapUrl, z.array(ldapUrl).min(1)])
    .optional()
    .describe(
      'Directory server URL, or a list tried in order when a server cannot be reached (required for ad and ldap).',
    ),
  bindDN: z.string().min(1).optional().describe('DN (or UPN on AD) to bind as; omit for an anonymous bind.'),
  bindPassword: z.string().optional().describe('Bind password; use ${env:NAME} or ${file:PATH}.'),
  startTLS: z.boolean().optional().describe('Upgrade an ldap:// connection with StartTLS before binding.'),
  caFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      "PEM file with the CA(s) that issued the server certificate, trusted besides Node's roots and the system's store.",
    ),
  trustSystemStore: z
    .boolean()
    .optional()
    .describe(
      "Trust the operating system's certificate store (where Group Policy installs an enterprise root CA) besides Node's own roots (default true).",
    ),
  tlsMinVersion: z.enum(TLS_VERSIONS).optional().describe('Lowest TLS version accepted (default TLSv1.2).'),
  pageSize: z
    .int()
    .min(1)
    .max(10000)
    .optional()
    .describe('Entries per page for paged searches (default 500).'),
  connectTimeoutSeconds: z.number().positive().max(600).optional().describe('Connect timeout (default 10).'),
  timeoutSeconds: z
    .number()
    .positive()
    .max(3600)
    .optional()
    .describe('Timeout for each LDAP operation (default 60).'),
};

const serverInput = z.object({ kind: z.enum(DIRECTORY_FLAVORS), ...SERVER_KEYS, ...MODEL_KEYS });

/** The configured URLs as a list. */
const urlList = (url: string | string[] | undefined): string[] =>
  url === undefined ? [] : Array.isArray(url) ? url : [url];

/**
 * A server's resolved settings.
 * @param input the `directory:` section (schema-valid, kind ad or ldap)
 * @param baseDir the config file's directory
 */
export function serverSettings(input: DirectoryInput, baseDir: string): LdapServerSettings {
  const d = serverInput.parse(input);
  const caFile = d.caFile === undefined ? undefined : resolve(baseDir, d.caFile);
  return {
    kind: d.kind,
    ...modelSettings(input, d.kind),
    urls: urlList(d.url),
    bindDN: d.bindDN,
    bindPassword: d.bindPassword,
    startTLS: d.startTLS ?? false,
    caFile,
    trustSystemStore: d.trustSystemStore ?? true,
    tlsMinVersion: d.tlsMinVersion ?? 'TLSv1.2',
    pageSize: d.pageSize ?? 500,
    connectTimeoutMs: (d.connectTimeoutSeconds ?? 10) * 1000,
    timeoutMs: (d.timeoutSeconds ?? 60) * 1000,
    secrets: [
      {
        key: 'directory.bindPassword',
        label: 'the bind password (directory.bindPassword)',
        value: d.bindPassword,
      },
    ],
    files: caFile === undefined ? [] : [{ path: caFile, what: "the directory's CA file" }],
  };
}

/** A URL's key path: `directory.url`, or one item of its list. */
const urlPath = (input: DirectoryInput, i: number): (string | number)[] =>
  Array.isArray(input.url) ? ['directory', 'url', i] : ['directory', 'url'];

/**
 * A server's rules: a URL is required, StartTLS upgrades a plain URL only, a bind DN and its
 * password come together, and no credential hides in a URL.
 * @param context the section as written and resolved
 */
export function serverIssues(context: SourceRuleContext<LdapServerSettings>): SourceIssue[] {
  const { input, settings } = context;
  const issues: SourceIssue[] = [];
  if (input.url === undefined) {
    issues.push({
      path: ['directory', 'url'],
      message: `is required with kind: ${settings.kind} (e.g. ldaps://dc1.corp.example.com); to read an LDIF export use kind: ldif with directory.file`,
    });
  }
  // StartTLS upgrades a plain connection: an ldaps:// URL already is TLS.
  if (settings.startTLS) {
    settings.urls.forEach((url, i) => {
      if (/^ldaps:/i.test(url))
        issues.push({
          path: urlPath(input, i),
          message: `${url} is already TLS (ldaps://); startTLS needs an ldap:// URL — use one or the other`,
        });
    });
  }
  issues.push(...bindCredentials(settings));
  // `ldaps://cn=x:PW@host` would reach check's output, reports, logs and the history; the
  // message never repeats the URL.
  settings.urls.forEach((url, i) => {
    const found = urlCredentials(url);
    const what = [
      found.user || found.password !== undefined ? 'a user name or password (user:password@)' : '',
      found.params.length > 0 ? `a credential in its query (${found.params.join(', ')})` : '',
    ].filter(Boolean);
    if (what.length > 0)
      issues.push({
        path: urlPath(input, i),
        message: `holds ${what.join(' and ')}: remove it from the URL and use directory.bindDN and directory.bindPassword, which adsync keeps out of every output`,
      });
  });
  return issues;
}

/** A bind DN and its password come together; an empty password would bind unauthenticated. */
function bindCredentials(settings: LdapServerSettings): SourceIssue[] {
  const issues: SourceIssue[] = [];
  if (settings.bindPassword !== undefined && settings.bindDN === undefined) {
    issues.push({ path: ['directory', 'bindDN'], message: 'bindPassword is set but bindDN is missing' });
  }
  if (
    settings.bindDN !== undefined &&
    (settings.bindPassword === undefined || settings.bindPassword === '')
  ) {
    issues.push({
      path: ['directory', 'bindPassword'],
      message:
        'bindDN is set but bindPassword is missing or empty (an empty password would be an unauthenticated bind)',
    });
  }
  return issues;
}
