import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

import type { LdapDirectory } from '../../src/directory/ldap/source.js';
import type { SearchRequest } from '../../src/directory/ldap/entries.js';

/** The LdapDirectory class of the built dist/, whose searches run in the search thread. */
export async function builtLdapDirectory(): Promise<typeof LdapDirectory> {
  // Built by the global setup; from the TypeScript sources searches stay in the calling thread.
  const url = pathToFileURL(join(import.meta.dirname, '../../dist/directory/ldap/source.js'));
  return ((await import(url.href)) as { LdapDirectory: typeof LdapDirectory }).LdapDirectory;
}

/** One entry as plain data: its DN and the values of the attributes asked for (bytes as hex). */
export interface ReadEntry {
  dn: string;
  values: Record<string, string[]>;
}

/**
 * Every entry and reference one search returns, as comparable data.
 * @param directory an opened directory
 * @param request the search
 */
export async function readSearch(
  directory: LdapDirectory,
  request: SearchRequest,
): Promise<{ entries: ReadEntry[]; references: string[] }> {
  const entries: ReadEntry[] = [];
  const references: string[] = [];
  for await (const entry of directory.search(request, (uri) => references.push(uri))) {
    const values: Record<string, string[]> = {};
    for (const name of request.attributes) {
      values[name] = entry
        .get(name)
        .map((v) => (typeof v === 'string' ? v : `bytes:${Buffer.from(v).toString('hex')}`));
    }
    entries.push({ dn: entry.dn, values });
  }
  return { entries, references };
}

/**
 * What a failed search threw, as comparable data (the built and the source classes differ).
 * @param directory an opened directory
 * @param request the search
 */
export async function searchFailure(
  directory: LdapDirectory,
  request: SearchRequest,
): Promise<{ name: string; code: unknown; message: string; hint: unknown }> {
  try {
    await readSearch(directory, request);
  } catch (error) {
    const e = error as Error & { code?: unknown; hint?: unknown };
    return { name: e.constructor.name, code: e.code, message: e.message, hint: e.hint };
  }
  throw new Error(`the search of ${request.base} did not fail`);
}
