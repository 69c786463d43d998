import type { Entry } from 'ldapts';

import type { SourceEntry } from './types.js';

const NO_VALUES: readonly (string | Uint8Array)[] = Object.freeze([]);

/** Lower-cased attribute names, remembered (a run asks for the same few names again and again). */
const lowerNames = new Map<string, string>();
function lowerName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    // Ranged values (`member;range=0-1499`) are completed and stored under the plain name.
    lower = name.toLowerCase().replace(/;range=.*$/, '');
    if (lowerNames.size < 10_000) lowerNames.set(name, lower);
  }
  return lower;
}

/**
 * An entry in ldapts's shape with case-insensitive attribute access. Both sources yield it: the
 * LDAP source as the server answered, the LDIF source as ldapts would have handed the same entry
 * over (only ldapts's entry type is used here, so the LDIF source never loads the client).
 */
export class DirectoryEntry implements SourceEntry {
  public readonly dn: string;

  /**
   * @param entry an entry as ldapts returns it (single value, array, or empty array)
   */
  public constructor(private readonly entry: Entry) {
    this.dn = entry.dn;
  }

  /**
   * @param attribute attribute name in any case
   */
  public get(attribute: string): readonly (string | Uint8Array)[] {
    const entry = this.entry;
    // Servers usually answer in the case the name was asked in: try that first.
    let value = attribute !== 'dn' && Object.hasOwn(entry, attribute) ? entry[attribute] : undefined;
    if (value === undefined) {
      const wanted = lowerName(attribute);
      for (const key in entry) {
        if (key !== 'dn' && Object.hasOwn(entry, key) && lowerName(key) === wanted) {
          value = entry[key];
          break;
        }
      }
    }
    if (value === undefined) return NO_VALUES;
    return Array.isArray(value) ? value : [value];
  }
}
