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
import { ClientCertificateProblem, readClientCertificate } from './client-cert.js';
import { MODEL_KEYS, modelSettings, type LdapModelSettings } from './model.js';

/** How adsync binds: `simple` (bindDN + bindPassword, or anonymous), Kerberos, or a client certificate. */
export const AUTH_MODES = ['simple', 'gssapi', 'external'] as const;
/** One of {@link AUTH_MODES}. */
export type AuthMode = (typeof AUTH_MODES)[number];

/** `directory.kerberos` (auth: gssapi), every key optional; keytab resolved to an absolute path. */
export interface KerberosSettings {
  /** Service principal of the server, `service/host` or `service/host@REALM`. */
  spn?: string | undefined;
  /** adsync's own principal. */
  principal?: string | undefined;
  /** Client keytab (absolute). */
  keytab?: string | undefined;
}

/**
 * How a connection binds, as the LDAP source and its search thread receive it: plain data, so it
 * crosses to the worker thread. `simple` uses the options' bindDN and bindPassword (or binds
 * anonymously without a bindDN), as before `auth` existed.
 */
export type LdapAuth =
  | { kind: 'simple' }
  | { kind: 'external'; certFile: string; keyFile: string }
  | ({ kind: 'gssapi' } & KerberosSettings);

/** The settings of a directory server (`kind: ad` or `kind: ldap`). */
export interface LdapServerSettings extends LdapModelSettings {
  readonly kind: DirectoryKind;
  /** Server URLs, tried in order when one cannot be reached. */
  urls: string[];
  bindDN: string | undefined;
  bindPassword: string | undefined;
  /** How to bind (default simple). */
  auth: AuthMode;
  /** `directory.kerberos` as written, paths resolved (auth: gssapi). */
  kerberos: KerberosSettings | undefined;
  /** PEM client certificate (absolute; auth: external). */
  certFile: string | undefined;
  /** PEM private key of the client certificate (absolute; auth: external): a secret file. */
  keyFile: string | undefined;
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
  bindPassword: z
    .string()
    .optional()
    .describe('Bind password; use ${env:NAME}, ${file:PATH} or ${credential:NAME}.'),
  auth: z
    .enum(AUTH_MODES)
    .optional()
    .describe(
      'How to bind: simple (bindDN + bindPassword, or anonymous without bindDN; the default), gssapi (Kerberos: no password stored), external (a TLS client certificate: certFile and keyFile). gssapi and external need TLS.',
    ),
  kerberos: z
    .strictObject({
      spn: z
        .string()
        .min(1)
        .optional()
        .describe(
          "The server's service principal, service/host or service/host@REALM (default: ldap/<host of the URL>).",
        ),
      principal: z
        .string()
        .min(1)
        .optional()
        .describe("adsync's principal (default: the keytab's or ticket cache's)."),
      keytab: z
        .string()
        .min(1)
        .optional()
        .describe(
          'Client keytab, relative to the config file (default: KRB5_CLIENT_KTNAME, then the ticket cache).',
        ),
    })
    .optional()
    .describe('Kerberos settings for auth: gssapi, all optional.'),
  certFile: z
    .string()
    .min(1)
    .optional()
    .describe('PEM client certificate for auth: external, relative to the config file.'),
  keyFile: z
    .string()
    .min(1)
    .optional()
    .describe('PEM private key (unencrypted; keep it chmod 600) of certFile, for auth: external.'),
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
  const path = (file: string | undefined): string | undefined =>
    file === undefined ? undefined : resolve(baseDir, file);
  const caFile = path(d.caFile);
  const [certFile, keyFile] = [path(d.certFile), path(d.keyFile)];
  const kerberos = d.kerberos && { ...d.kerberos, keytab: path(d.kerberos.keytab) };
  const files = [
    { path: caFile, what: "the directory's CA file" },
    { path: certFile, what: "the directory's client certificate (directory.certFile)" },
    { path: keyFile, what: "the client certificate's private key, directory.keyFile", secret: true },
    { path: kerberos?.keytab, what: "adsync's Kerberos keytab, directory.kerberos.keytab", secret: true },
  ].flatMap(({ path, ...file }) => (path === undefined ? [] : [{ path, ...file }]));
  return {
    kind: d.kind,
    ...modelSettings(input, d.kind),
    urls: urlList(d.url),
    bindDN: d.bindDN,
    bindPassword: d.bindPassword,
    auth: d.auth ?? 'simple',
    kerberos: kerberos && { spn: kerberos.spn, principal: kerberos.principal, keytab: kerberos.keytab },
    certFile,
    keyFile,
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
    files,
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
  issues.push(...(settings.auth === 'simple' ? bindCredentials(settings) : []), ...authIssues(context));
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

/** `service/host` or `service/host@REALM`: one slash, no spaces. */
const SPN = /^[^\s/@]+\/[^\s/@]+(@[^\s/@]+)?$/;

/**
 * The rules of `auth`: each mode's own keys and no other's, and TLS for the SASL modes, which
 * adsync runs without a SASL security layer (Active Directory refuses one over TLS).
 * @param context the section as written and resolved
 */
function authIssues(context: SourceRuleContext<LdapServerSettings>): SourceIssue[] {
  const { input, settings } = context;
  const { auth } = settings;
  const issues: SourceIssue[] = [];
  const how = auth === 'gssapi' ? 'binds with Kerberos' : 'binds with the client certificate';
  for (const key of ['bindDN', 'bindPassword'] as const)
    if (auth !== 'simple' && input[key] !== undefined)
      issues.push({
        path: ['directory', key],
        message: `auth: ${auth} ${how}, not a password: remove ${key}`,
      });
  if (settings.kerberos !== undefined && auth !== 'gssapi')
    issues.push({
      path: ['directory', 'kerberos'],
      message: `is for auth: gssapi (auth is ${auth}): remove it`,
    });
  for (const key of ['certFile', 'keyFile'] as const) {
    if (settings[key] !== undefined && auth !== 'external')
      issues.push({
        path: ['directory', key],
        message: `is for auth: external (auth is ${auth}): remove it`,
      });
    if (settings[key] === undefined && auth === 'external')
      issues.push({
        path: ['directory', key],
        message: `is required with auth: external (the PEM ${key === 'certFile' ? 'client certificate' : 'private key of certFile'})`,
      });
  }
  const spn = settings.kerberos?.spn;
  if (auth === 'gssapi' && spn !== undefined && !SPN.test(spn))
    issues.push({
      path: ['directory', 'kerberos', 'spn'],
      message: `"${spn}" is not a service principal: write service/host or service/host@REALM (e.g. ldap/dc1.corp.example.com)`,
    });
  if (auth !== 'simple' && !settings.startTLS)
    settings.urls.forEach((url, i) => {
      if (/^ldap:/i.test(url))
        issues.push({
          path: urlPath(input, i),
          message: `auth: ${auth} over ${url}: no security layer without TLS: use ldaps:// or startTLS: true`,
        });
    });
  if (auth === 'external' && settings.certFile !== undefined && settings.keyFile !== undefined) {
    try {
      readClientCertificate(settings.certFile, settings.keyFile);
    } catch (error) {
      if (!(error instanceof ClientCertificateProblem)) throw error;
      issues.push({ path: ['directory', error.key], message: error.message });
    }
  }
  return issues;
}

/**
 * How a connection binds, from the resolved settings (which the rules have checked).
 * @param settings the server's settings
 */
export function ldapAuth(settings: LdapServerSettings): LdapAuth {
  const { auth, certFile, keyFile, kerberos } = settings;
  if (auth === 'gssapi')
    return { kind: 'gssapi', spn: kerberos?.spn, principal: kerberos?.principal, keytab: kerberos?.keytab };
  if (auth === 'external') {
    if (certFile === undefined || keyFile === undefined)
      throw new Error('auth: external without certFile and keyFile passed the rules');
    return { kind: 'external', certFile, keyFile };
  }
  return { kind: 'simple' };
}
