import type { DirectoryKind } from '../directory/types.js';
import type { ColumnInput } from '../mapping/types.js';

/** A column's default mapping per directory flavour. */
type Defaults = Partial<Record<DirectoryKind, ColumnInput>>;

/** The same mapping for every directory flavour. */
const everywhere = (input: ColumnInput): Defaults => ({ ldap: input, ad: input });

/**
 * A name-like attribute, trimmed.
 * @param attribute the attribute (the same name in AD and OpenLDAP)
 */
export const name = (attribute: string): Defaults => everywhere({ from: attribute, format: 'trim' });

/**
 * A phone attribute; the layout reads it with the vendor's phone format (its rules' phoneFormat).
 * @param attribute the attribute (the same name in AD and OpenLDAP)
 */
export const phone = (attribute: string): Defaults => everywhere({ from: attribute });

/** The mail attribute, trimmed and lower-cased. */
export const email: Defaults = everywhere({ from: 'mail', format: ['trim', 'lower'] });

/** The department: AD's own attribute; OpenLDAP's departmentNumber, else ou. */
export const DEPARTMENT: Defaults = {
  ldap: { from: ['departmentNumber', 'ou'], format: 'trim' },
  ad: { from: 'department', format: 'trim' },
};
