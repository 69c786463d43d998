/**
 * The config names of the vendor profiles (`target.profile`), in the order help lists them; the
 * first is the default of `adsync init`. Imports nothing, so `--help` can list them without
 * loading a profile. `VENDORS` in registry.ts must have one entry per name (its type says so).
 */
export const PROFILE_NAMES = ['receptionist', 'ilobby', 'custom'] as const;

/** One vendor profile's config name. */
export type ProfileName = (typeof PROFILE_NAMES)[number];
