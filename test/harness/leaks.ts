import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A secret and the client id it may travel with in HTTP Basic. */
export interface LeakSecret {
  /** The value. */
  value: string;
  /** The OAuth2 client id, when the secret is a client secret (HTTP Basic carries `id:secret`). */
  clientId?: string;
}

/** One form of a secret, named for the failure message. */
interface Form {
  name: string;
  text: string;
}

/**
 * Every form a secret takes on the wire, each of which a server may echo back: literal,
 * URL-encoded, form-encoded, base64, hex (both cases), and HTTP Basic's base64 of `id:secret`.
 * @param secret the secret
 */
export function leakForms(secret: LeakSecret): Form[] {
  const { value, clientId } = secret;
  const bytes = Buffer.from(value, 'utf8');
  const forms: Form[] = [
    { name: 'literal', text: value },
    { name: 'URL-encoded', text: encodeURIComponent(value) },
    { name: 'form-encoded', text: new URLSearchParams({ s: value }).toString().slice(2) },
    { name: 'base64', text: bytes.toString('base64') },
    { name: 'hex', text: bytes.toString('hex') },
    { name: 'HEX', text: bytes.toString('hex').toUpperCase() },
  ];
  if (clientId !== undefined)
    for (const pair of [
      `${clientId}:${value}`,
      `${encodeURIComponent(clientId)}:${encodeURIComponent(value)}`,
    ])
      forms.push({ name: 'HTTP Basic', text: Buffer.from(pair).toString('base64') });
  return forms.filter((f, i) => forms.findIndex((g) => g.text === f.text) === i);
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether a form occurs in a text. A short form (under 3 characters) or a number counts only as
 * a whole word: `xy` inside `proxy` or `40` inside `2040` is not the secret.
 */
function occurs(text: string, form: string): boolean {
  if (form.length >= 3 && !/^\d+$/.test(form)) return text.includes(form);
  return new RegExp(`(?<![\\p{L}\\p{N}])${escape(form)}(?![\\p{L}\\p{N}])`, 'u').test(text);
}

/** Every string (and key) of a parsed JSON value. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  return out;
}

/**
 * The texts of a source as a reader sees them. JSON (a document or JSON lines) is read as its
 * strings, unescaped, so a secret hidden by JSON escaping (`\"`, `\\`) is found, and a number
 * (a count, which is not a secret position) is not mistaken for a numeric secret; anything
 * else is one text.
 */
function readable(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    return strings(JSON.parse(trimmed));
  } catch {
    // not one JSON document
  }
  const lines = trimmed.split('\n');
  const parsed: string[] = [];
  for (const line of lines) {
    try {
      strings(JSON.parse(line), parsed);
    } catch {
      // Not JSON lines: the text as it is, and any JSON line read as JSON too.
      return [text, ...parsed];
    }
  }
  return parsed;
}

/**
 * Every file under the directories (recursively) and the named files, each as [name, text].
 * @param paths files or directories (a state dir, a project, a report)
 */
export async function filesUnder(paths: readonly string[]): Promise<[string, string][]> {
  const found: [string, string][] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) continue;
    if (info.isFile()) found.push([path, await readFile(path, 'utf8')]);
    else if (info.isDirectory()) {
      const entries = await readdir(path, { recursive: true, withFileTypes: true });
      for (const e of entries.filter((x) => x.isFile())) {
        const file = join(e.parentPath, e.name);
        found.push([file, await readFile(file, 'utf8')]);
      }
    }
  }
  return found;
}

/**
 * Every place any secret shows in any of its forms: `"<secret #i> (<form>) in <source>"`. An
 * empty list is a clean run.
 * @param secrets the secrets
 * @param sources named texts: stdout, stderr, and files (see {@link filesUnder})
 */
export function findLeaks(secrets: readonly LeakSecret[], sources: readonly [string, string][]): string[] {
  const leaks: string[] = [];
  for (const [name, text] of sources) {
    const texts = readable(text);
    secrets.forEach((secret, i) => {
      for (const form of leakForms(secret))
        if (texts.some((t) => occurs(t, form.text))) leaks.push(`secret #${i + 1} (${form.name}) in ${name}`);
    });
  }
  return leaks;
}
