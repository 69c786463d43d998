import type { DirectoryKind, SourceEntry } from '../directory/types.js';
import { applyFormat } from './formats.js';

/**
 * The attribute that identifies an entry for its whole life, whatever is renamed: Active
 * Directory's objectGUID (bytes), OpenLDAP's entryUUID (operational: returned only when asked
 * for by name).
 */
const ID_ATTRIBUTE: Record<DirectoryKind, string> = { ad: 'objectGUID', ldap: 'entryUUID' };

/**
 * The attributes a search asks for to know each entry's directory identity (see
 * {@link directoryIdOf}). A server is asked for its flavour's attribute only; an LDIF export is
 * asked for both, since either may be in it (or neither: then nothing is detected as a rename).
 * @param kind the directory flavour
 * @param fromFile whether the entries come from an LDIF export
 */
export function directoryIdAttributes(
  kind: DirectoryKind,
  fromFile: boolean,
): { attributes: string[]; bufferAttributes: string[] } {
  const attributes = fromFile ? Object.values(ID_ATTRIBUTE) : [ID_ATTRIBUTE[kind]];
  return { attributes, bufferAttributes: attributes.filter((a) => a === ID_ATTRIBUTE.ad) };
}

/**
 * An entry's directory identity as lower-case GUID text (objectGUID as Windows shows it, else
 * entryUUID), or undefined when the entry has neither. It is what tells a changed email of the
 * same person (a rename) from a leaver plus a hire.
 * @param entry the directory entry
 */
export function directoryIdOf(entry: SourceEntry): string | undefined {
  for (const attribute of Object.values(ID_ATTRIBUTE)) {
    const value = entry.get(attribute)[0];
    if (value === undefined) continue;
    const id = applyFormat('guid', value, { defaultCountry: undefined });
    if (id.ok) return id.value;
  }
  return undefined;
}
