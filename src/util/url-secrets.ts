/**
 * Query parameters that carry a credential: a URL holding one would put it into `check`'s
 * output, reports, logs and the run history (and into the vendor's access logs).
 */
const SECRET_PARAMS = new Set([
  'access_token',
  'api_key',
  'apikey',
  'auth',
  'client_secret',
  'code',
  'key',
  'password',
  'pass',
  'pwd',
  'secret',
  'sig',
  'signature',
  'token',
]);

/** What in a URL is a credential: its user-info password and secret-named query values. */
export interface UrlCredentials {
  /** `user:password@` (the password decoded), if any. */
  password: string | undefined;
  /** Whether there is a user name (`user@`). */
  user: boolean;
  /** Names of query parameters that carry a credential. */
  params: string[];
  /** Their values (decoded), to be redacted wherever they appear. */
  values: string[];
}

/**
 * The credentials written into a URL (none for text that is not a URL).
 * @param text the URL as written
 */
export function urlCredentials(text: string): UrlCredentials {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { password: undefined, user: false, params: [], values: [] };
  }
  const params: string[] = [];
  const values: string[] = [];
  for (const [name, value] of url.searchParams) {
    if (SECRET_PARAMS.has(name.toLowerCase())) {
      params.push(name);
      if (value) values.push(value);
    }
  }
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  return { password, user: url.username !== '', params, values };
}

/** A URL in text: scheme, then anything up to white space or a quote. */
const URL_IN_TEXT = /\b(?:https?|ldaps?):\/\/[^\s"'<>]+/gi;

/**
 * Text with the query values of every URL in it replaced by `***` (`?a=***&b=***`): a query
 * may hold a token or a signature nobody registered as a secret.
 * @param text any text about to be shown or written
 */
export function redactUrlQueries(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (url) => {
    const at = url.indexOf('?');
    if (at < 0) return url;
    const [query = '', fragment] = url.slice(at + 1).split('#', 2);
    const redacted = query.replace(/=([^&]*)/g, (_m, value: string) => (value ? '=***' : '='));
    return `${url.slice(0, at)}?${redacted}${fragment === undefined ? '' : `#${fragment}`}`;
  });
}
