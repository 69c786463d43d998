import { ID_ATTRIBUTE } from '../directory/identity.js';
import type { SourceEntry } from '../directory/types.js';
import { applyFormat } from './formats.js';

export { directoryIdAttributes } from '../directory/identity.js';

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
