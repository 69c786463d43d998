import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

import { isLoopbackHost } from '../util/loopback.js';
import { VENDORS } from '../vendors/registry.js';
import type { MissingSecret } from './secrets.js';
import type { ConfigIssue, ResolvedTarget } from './types.js';
import type { ConfigInput } from './schema.js';

/** The target section as written. */
type TargetInput = ConfigInput['target'];

/** OAuth2 client settings, which an API key replaces. */
const OAUTH_KEYS = ['tokenUrl', 'clientId', 'clientSecret', 'scope', 'auth'] as const;

/** An endpoint must be https://, or http:// on loopback (and then only with --insecure-http). */
function endpointIssue(key: 'uploadUrl' | 'tokenUrl', value: string): ConfigIssue | undefined {
  const url = new URL(value);
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return {
    path: ['target', key],
    message: `${value} is not https://: uploads use TLS 1.2 or newer, so use the https:// URL the vendor gives (http:// is accepted only on loopback, with --insecure-http)`,
  };
}

/**
 * The rules of the target section that involve more than one key. A key whose reference is not
 * resolved yet counts as written (it is, just not available to this command).
 */
function targetIssues(t: TargetInput, pending: ReadonlySet<string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const written = (key: keyof TargetInput): boolean => t[key] !== undefined || pending.has(key);
  const endpoint = (key: 'uploadUrl' | 'tokenUrl'): void => {
    const value = t[key];
    const issue = value === undefined ? undefined : endpointIssue(key, value);
    if (issue) issues.push(issue);
  };
  endpoint('uploadUrl');
  if (written('apiKey')) {
    for (const key of OAUTH_KEYS.filter(written)) {
      issues.push({
        path: ['target', key],
        message:
          'is an OAuth2 client setting, but target.apiKey is set too: use an API key or an OAuth2 client, not both',
      });
    }
  } else {
    endpoint('tokenUrl');
    if (t.apiKeyHeader !== undefined) {
      issues.push({
        path: ['target', 'apiKeyHeader'],
        message: 'names the header of target.apiKey, which is not set: set apiKey or remove apiKeyHeader',
      });
    }
  }
  if (t.format === 'raw' && t.fileField !== undefined) {
    issues.push({
      path: ['target', 'fileField'],
      message:
        'is the multipart field of the CSV, but format: raw sends the CSV as the whole body: remove one',
    });
  }
  if (t.proxy !== undefined) {
    // The proxy URL can hold a password: the message never repeats it.
    let protocol: string | undefined;
    try {
      protocol = new URL(t.proxy).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      issues.push({
        path: ['target', 'proxy'],
        message: 'is not an http:// or https:// proxy URL (e.g. http://user:password@proxy.corp:3128)',
      });
    }
  }
  return issues;
}

/**
 * Stage 2 for the target section: defaults (iLobby's endpoints, auth, format, field, TLS floor,
 * retries, timeouts), the CA file resolved against the config file's directory, and the rules
 * that `check`, a dry run and a push must agree on.
 * @param t the target section as written
 * @param baseDir the config file's directory
 * @param missing references of the target section that are not resolved (the keys are absent
 *   from `t`); kept on the target for the commands that need them
 */
export function normalizeTarget(
  t: TargetInput,
  baseDir: string,
  missing: readonly MissingSecret[] = [],
): { target: ResolvedTarget; issues: ConfigIssue[] } {
  const pending = new Set(missing.map((m) => m.key.split(/[.[]/)[1] ?? ''));
  // The vendor's published endpoints, where it has them (iLobby's script names its own).
  const defaults = VENDORS[t.profile].delivery;
  return {
    target: {
      profile: t.profile,
      locationColumn: t.locationColumn,
      uploadUrl: t.uploadUrl ?? defaults.uploadUrl,
      tokenUrl:
        t.tokenUrl ?? (t.apiKey === undefined && !pending.has('apiKey') ? defaults.tokenUrl : undefined),
      clientId: t.clientId,
      clientSecret: t.clientSecret,
      scope: t.scope,
      auth: t.auth ?? 'client_secret_post',
      apiKey: t.apiKey,
      apiKeyHeader: t.apiKeyHeader ?? 'X-API-Key',
      format: t.format ?? 'multipart',
      fileField: t.fileField ?? 'file',
      caFile: t.caFile === undefined ? undefined : resolve(baseDir, t.caFile),
      trustSystemStore: t.trustSystemStore ?? true,
      tlsMinVersion: t.tlsMinVersion ?? 'TLSv1.2',
      proxy: t.proxy,
      retries: {
        attempts: t.retries?.attempts ?? 5,
        deadlineMs: (t.retries?.maxSeconds ?? 300) * 1000,
        baseDelayMs: t.retries?.baseDelayMs ?? 1000,
      },
      timeoutMs: (t.timeoutSeconds ?? 60) * 1000,
      expectEmptyResponse: t.expectEmptyResponse ?? false,
      missing: [...missing],
    },
    issues: targetIssues(t, pending),
  };
}

/**
 * The reference that hides which vendor account a target is (its client id or upload URL), when
 * it is not resolved.
 * @param target the resolved target
 */
export function unresolvedAccount(target: ResolvedTarget): MissingSecret | undefined {
  return target.missing.find((m) => /^target\.(clientId|uploadUrl)$/.test(m.key));
}

/** The vendor account a baseline belongs to: never a secret, nor a hash of one. */
export interface TargetAccount {
  /** Column profile. */
  profile: string;
  /** The upload URL in normalised form ({@link normalizeUploadUrl}); undefined when unresolved. */
  uploadUrl: string | undefined;
  /** The OAuth2 client id, where there is one. */
  clientId: string | undefined;
}

/**
 * An upload URL as the vendor's server sees it, so that writing it differently does not start a
 * new baseline: scheme and host lower-cased (a trailing dot dropped), the default port left out,
 * `.` and `..` path segments resolved, percent-escapes of unreserved characters decoded and the
 * others upper-cased (RFC 3986 6.2.2), no user info and no fragment. The path's case, a trailing
 * slash and the query are kept: a server may tell them apart.
 * @param url the upload URL as configured
 */
export function normalizeUploadUrl(url: string): string {
  let parsed: URL;
  try {
    // WHATWG URL parsing does the scheme, host, default port and dot segments.
    parsed = new URL(url);
  } catch {
    return url.trim();
  }
  const host = parsed.hostname.replace(/\.$/, '');
  const port = parsed.port ? `:${parsed.port}` : '';
  const escapes = (text: string): string =>
    text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
      const char = String.fromCharCode(Number.parseInt(hex, 16));
      return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${hex.toUpperCase()}`;
    });
  return `${parsed.protocol}//${host}${port}${escapes(parsed.pathname)}${escapes(parsed.search)}`;
}

/**
 * The vendor account a target uploads to: its profile, normalised upload URL and OAuth2 client
 * id. An API key is not part of it: rotating the key keeps the account (and its baseline).
 * @param profile the column profile
 * @param target the resolved target
 */
export function targetAccount(profile: string, target: ResolvedTarget): TargetAccount {
  return {
    profile,
    uploadUrl: target.uploadUrl === undefined ? undefined : normalizeUploadUrl(target.uploadUrl),
    clientId: target.clientId?.trim(),
  };
}

/**
 * How earlier releases named a target's account (the raw upload URL, and the client id or a
 * hash of the API key): read once, so an upgrade keeps its baseline.
 * @param target the resolved target
 */
export function legacyTargetAccount(target: ResolvedTarget): string {
  const client =
    target.clientId ??
    (target.apiKey ? `key:${createHash('sha256').update(target.apiKey).digest('hex').slice(0, 16)}` : '');
  return `${target.uploadUrl ?? ''}|${client}`;
}
