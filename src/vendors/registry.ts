import type { DirectoryKind } from '../directory/types.js';
import type { ColumnSet } from '../mapping/columns.js';
import { compileColumns } from '../mapping/compile.js';
import type { ColumnInput, LayoutIssue } from '../mapping/types.js';
import { CUSTOM } from './custom.js';
import { ILOBBY } from './ilobby.js';
import { RECEPTIONIST } from './receptionist.js';
import type { ProfileName } from './names.js';
import type { VendorProfile } from './types.js';

/**
 * Every vendor profile by its config name: a new vendor is a file of src/vendors, its name in
 * names.ts and its line here (the type makes the two lists agree).
 */
export const VENDORS: { readonly [name in ProfileName]: VendorProfile } = {
  receptionist: RECEPTIONIST,
  ilobby: ILOBBY,
  custom: CUSTOM,
};

/** Options of {@link compileLayout}. */
export interface CompileLayoutOptions {
  /** The vendor profile's config name. */
  profile: ProfileName;
  /** custom profile: header that receives the location. */
  locationColumn?: string | undefined;
  /** Directory flavour, for default mappings. */
  kind: DirectoryKind;
  /** Column overrides from config. */
  columns?: Record<string, ColumnInput> | undefined;
}

/**
 * The column layout of a vendor profile for a directory flavour and the config's `columns:`.
 * @param options the profile's name, the flavour and the overrides
 */
export function compileLayout(options: CompileLayoutOptions): { set: ColumnSet; issues: LayoutIssue[] } {
  return compileColumns({ ...options, profile: VENDORS[options.profile] });
}
