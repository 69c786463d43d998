import type { ResolvedConfig } from '../config/types.js';
import { missingSecretsError } from '../config/secrets.js';
import { ConfigError, describeError } from '../errors.js';
import { isLoopbackHost } from '../util/loopback.js';
import type { TransportSettings } from './transport.js';
import { FILE_LIMITS, readSmallFile } from '../io/small-file.js';

/** Everything the upload needs, resolved from config and command line. */
export interface UploadSettings extends TransportSettings {
  /** Token endpoint (OAuth2 mode). */
  tokenUrl: string | undefined;
  /** Upload endpoint. */
  uploadUrl: string;
  /** OAuth2 client credentials, or undefined in API-key mode. */
  client:
    | {
        id: string;
        secret: string;
        scope: string | undefined;
        auth: 'client_secret_post' | 'client_secret_basic';
      }
    | undefined;
  /** Static API key mode. */
  apiKey: { header: string; value: string } | undefined;
  /** multipart or raw. */
  format: 'multipart' | 'raw';
  /** Multipart field name. */
  fileField: string;
  /** target.caFile's path, for messages (its text is `ca`). */
  caFile?: string | undefined;
  /** Attempts in all. */
  attempts: number;
  /** Overall deadline in ms. */
  deadlineMs: number;
  /** First backoff delay in ms. */
  baseDelayMs: number;
  /** An accepted upload is answered with an empty body (target.expectEmptyResponse). */
  expectEmptyResponse: boolean;
}

/**
 * The proxy and its exclusions: target.proxy, else HTTPS_PROXY (https_proxy); NO_PROXY
 * (no_proxy) applies to both. The transport decides per host.
 */
function proxyOf(
  configured: string | undefined,
  env: NodeJS.ProcessEnv,
): Pick<TransportSettings, 'proxy' | 'noProxy'> {
  return {
    proxy: configured ?? env.HTTPS_PROXY ?? env.https_proxy,
    noProxy: env.NO_PROXY ?? env.no_proxy,
  };
}

function readCa(
  config: Pick<ResolvedConfig, 'filepath'>,
  key: string,
  file: string | undefined,
): string | undefined {
  if (!file) return undefined;
  try {
    return readSmallFile(file, FILE_LIMITS.ca).toString('utf8');
  } catch (error) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `${config.filepath}: cannot read ${key} ${file}: ${describeError(error)}`,
    );
  }
}

/**
 * Transport settings for another HTTPS endpoint (a notification webhook), by the upload's rules:
 * the same TLS floor and proxy (HTTPS_PROXY / NO_PROXY / target.proxy), with its own CA file.
 * @param config the resolved config
 * @param options the environment and the endpoint's CA file
 * @param options.env environment (proxy variables)
 * @param options.caFile absolute path of a PEM CA file, if any
 * @param options.trustSystemStore trust the operating system's certificate store
 * @param options.timeoutMs connect/headers/body timeout
 */
export function transportFor(
  config: Pick<ResolvedConfig, 'filepath'> & {
    target: Pick<ResolvedConfig['target'], 'tlsMinVersion' | 'proxy'>;
  },
  options: {
    env: NodeJS.ProcessEnv;
    caFile: string | undefined;
    trustSystemStore: boolean;
    timeoutMs: number;
  },
): TransportSettings {
  return {
    ca: readCa(config, 'notify.caFile', options.caFile),
    trustSystemStore: options.trustSystemStore,
    tlsMinVersion: config.target.tlsMinVersion,
    ...proxyOf(config.target.proxy, options.env),
    timeoutMs: options.timeoutMs,
  };
}

/**
 * The upload settings of a push. The config stage has applied the defaults and refused what no
 * command line makes valid; what is left depends on uploading itself (a dry run needs no
 * endpoint or credentials) or on `--insecure-http`. Those are config errors (exit 2), found
 * before anything is read or sent.
 * @param config the resolved config
 * @param options `--insecure-http` and the environment (for HTTPS_PROXY / NO_PROXY)
 * @param options.insecureHttp allow http:// to loopback
 * @param options.env environment
 */
export function uploadSettings(
  config: ResolvedConfig,
  options: { insecureHttp: boolean; env: NodeJS.ProcessEnv },
): UploadSettings {
  const t = config.target;
  const { uploadUrl } = t;
  const where = config.filepath;
  // Inspecting went without the vendor's secrets; sending cannot. Every one is named at once.
  if (t.missing.length > 0) throw missingSecretsError(where, t.missing, 'to upload');
  if (!uploadUrl) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `${where}: target.uploadUrl is required to upload (profile ${t.profile})`,
      {
        hint: "Set target.uploadUrl (and tokenUrl, clientId, clientSecret) from the vendor's integration page, or use --dry-run.",
      },
    );
  }
  const apiKey = t.apiKey ? { header: t.apiKeyHeader, value: t.apiKey } : undefined;
  const tokenUrl = apiKey ? undefined : t.tokenUrl;
  if (!apiKey && (!tokenUrl || !t.clientId || !t.clientSecret)) {
    const missing = [
      !tokenUrl && 'tokenUrl',
      !t.clientId && 'clientId',
      !t.clientSecret && 'clientSecret',
    ].filter(Boolean);
    throw new ConfigError(
      'CONFIG_INVALID',
      `${where}: target.${missing.join(', target.')} required to get an upload token`,
      {
        hint: 'Set them (the secret through ${env:…} or ${file:…}), or set target.apiKey for a vendor that issues API keys.',
      },
    );
  }
  for (const [key, value] of [
    ['uploadUrl', uploadUrl],
    ['tokenUrl', tokenUrl],
  ] as const) {
    if (value === undefined) continue;
    const url = new URL(value);
    if (url.protocol === 'https:') continue;
    // The config stage let only loopback http:// through; it needs the flag.
    if (url.protocol === 'http:' && options.insecureHttp && isLoopbackHost(url.hostname)) continue;
    throw new ConfigError('CONFIG_INVALID', `${where}: target.${key} ${value} is not https://`, {
      hint:
        url.protocol === 'http:' && isLoopbackHost(url.hostname)
          ? 'Uploads use TLS 1.2+. For a local experiment against loopback, pass --insecure-http.'
          : 'Uploads use TLS 1.2 or newer: use the https:// URL the vendor gives.',
    });
  }
  return {
    tokenUrl,
    uploadUrl,
    client:
      !apiKey && t.clientId && t.clientSecret
        ? { id: t.clientId, secret: t.clientSecret, scope: t.scope, auth: t.auth }
        : undefined,
    apiKey,
    format: t.format,
    fileField: t.fileField,
    ca: readCa(config, 'target.caFile', t.caFile),
    caFile: t.caFile,
    trustSystemStore: t.trustSystemStore,
    tlsMinVersion: t.tlsMinVersion,
    ...proxyOf(t.proxy, options.env),
    attempts: t.retries.attempts,
    deadlineMs: t.retries.deadlineMs,
    baseDelayMs: t.retries.baseDelayMs,
    timeoutMs: t.timeoutMs,
    expectEmptyResponse: t.expectEmptyResponse,
  };
}
