import type { VendorProfile } from './types.js';

/**
 * Any service that takes an address-book CSV: the columns come from the config's `columns:`,
 * `required` and `unique` say what a row must have, and a contact is matched by its unique
 * columns (else the whole row) within its location.
 */
export const CUSTOM: VendorProfile = {
  name: 'custom',
  title: 'a CSV layout defined in the config',
  columns: undefined,
  rules: {
    reach: 'none',
    unique: [],
    oneSitePerEmail: false,
    match: { keys: [], triesEach: false, scope: 'location' },
    maxLength: {},
    phoneFormat: 'phone',
  },
  delivery: { kind: 'csv-upload' },
};
