import type { ResolvedConfig } from '../config/types.js';
import type { Redactor } from '../config/secrets.js';
import type { ConnectionInfo } from '../directory/types.js';
import { urlCredentials } from '../util/url-secrets.js';

/**
 * The CLI's security policy, in one place: which values are secrets beyond the config's own
 * ${env:}/${file:} references, and when a directory connection deserves a warning.
 */

/**
 * Register the secrets of a loaded config: those it resolved from references, those written
 * literally in it (bind password, client secret, API key, webhook URL) and a proxy's password.
 * @param redactor the run's redactor
 * @param config the config
 * @param secrets the secrets its references resolved to
 * @param env the environment (HTTPS_PROXY)
 */
export function registerSecrets(
  redactor: Redactor,
  config: ResolvedConfig,
  secrets: readonly string[],
  env: NodeJS.ProcessEnv,
): void {
  redactor.add(...secrets);
  const { directory, target, notify } = config;
  for (const value of [
    ...directory.secrets.map((s) => s.value),
    target.clientSecret,
    target.apiKey,
    notify?.webhook,
    urlCredentials(target.proxy ?? env.HTTPS_PROXY ?? env.https_proxy ?? '').password,
  ])
    if (value) redactor.add(value);
  // HTTP Basic carries id:secret in base64: a server echoing the request shows that form.
  if (target.clientId && target.clientSecret) redactor.addBasic(target.clientId, target.clientSecret);
}

/**
 * The warning for a directory reached in a way that exposes a secret (a password bind over a
 * plain connection to a host other than this one); the source knows when that is.
 * @param c the connection made
 */
export function cleartextBindWarning(c: ConnectionInfo): string | undefined {
  return c.warning;
}
