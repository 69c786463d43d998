import type { DirectoryKind } from '../directory/types.js';
import type { ColumnInput, FormatName } from './types.js';

/**
 * What a vendor profile tells the mapping, validation and the plan: its columns and its rules.
 * Only the shapes live here; each vendor's values live in its own file of src/vendors, so mapping
 * and the plan never name a vendor.
 */

/** What a column means to validation, independent of its header text. */
export type ColumnRole =
  | 'firstName'
  | 'lastName'
  | 'email'
  | 'smsPhone'
  | 'mobile'
  | 'deskPhone'
  | 'title'
  | 'department'
  | 'image'
  | 'pin'
  | 'location'
  | 'identification'
  | 'slack';

/** One column of a vendor layout. */
export interface ProfileColumn {
  /** Header text, exactly as the vendor expects it. */
  header: string;
  /** Meaning, for validation. */
  role: ColumnRole;
  /** Default mapping per directory kind; undefined = empty unless configured. */
  defaults?: Partial<Record<DirectoryKind, ColumnInput>>;
}

/** A role the vendor matches contacts by, and the prefix it has in identities (state files). */
export interface MatchKey {
  /** The column's role. */
  role: 'identification' | 'email' | 'smsPhone';
  /** Prefix in stored identities (`id:`, `email:`, `sms:`): part of the state file format. */
  prefix: 'id' | 'email' | 'sms';
}

/**
 * How the vendor tells one contact from another, which decides what the plan calls an update, a
 * rename, an archive and a create.
 */
export interface MatchRule {
  /**
   * The keys the vendor tries, in order; the first non-empty one is the contact's identity.
   * Empty: the layout's unique columns, else the whole row (a custom layout).
   */
  keys: readonly MatchKey[];
  /**
   * Whether the vendor also finds a contact by each later key when the first one changed (The
   * Receptionist tries Identification, then Email, then SMS Phone).
   */
  triesEach: boolean;
  /** Where one identity is one contact: per location, or across the whole account (iLobby). */
  scope: 'location' | 'account';
}

/** A vendor's rules: what a contact must have, what must be unique, how it is matched. */
export interface LayoutRules {
  /**
   * How a contact must be reachable: `email-or-sms` (an Email, or an SMS Phone when there is no
   * Email), `email`, or `none` (a custom layout: its `required` columns say).
   */
  reach: 'email-or-sms' | 'email' | 'none';
  /** Roles whose values must be unique within one location. */
  unique: readonly ColumnRole[];
  /**
   * One site per email: a person in several locations is written once, in the first location
   * (config order) that has them, and unique values are compared across locations.
   */
  oneSitePerEmail: boolean;
  /** How the vendor matches a contact of the last push to a row of this one. */
  match: MatchRule;
  /** The vendor's own longest values, where it documents one, replacing the cell rules' default. */
  maxLength: Partial<Record<ColumnRole, number>>;
  /**
   * The format every phone column (SMS Phone, mobile, desk phone) gets last, whatever the config
   * maps it from: the vendors need numbers they can dial or text.
   */
  phoneFormat: FormatName;
}

/** A vendor CSV layout: a built-in one has columns; a custom one takes them from the config. */
export interface LayoutProfile {
  /** Profile name as used in config and file names. */
  name: string;
  /** Columns in file order; undefined for a custom layout (the config's `columns:`). */
  columns: readonly ProfileColumn[] | undefined;
  /** The vendor's rules. */
  rules: LayoutRules;
}
