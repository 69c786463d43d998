import type { DirectoryKind } from './types.js';

/**
 * The attribute that identifies an entry for its whole life, whatever is renamed: Active
 * Directory's objectGUID (bytes), OpenLDAP's entryUUID (operational: returned only when asked
 * for by name).
 */
export const ID_ATTRIBUTE: Readonly<Record<DirectoryKind, string>> = { ad: 'objectGUID', ldap: 'entryUUID' };

/**
 * The attributes a search asks for to know each entry's directory identity. A server is asked
 * for its flavour's attribute only; an LDIF export is asked for both, since either may be in it
 * (or neither: then nothing is detected as a rename).
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
