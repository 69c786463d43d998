import type { DirectoryKind } from '../directory/types.js';
import type { BuiltInProfileName, ColumnInput } from './types.js';

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

/** A vendor CSV layout and its rules. */
export interface Profile {
  /** Profile name as used in config. */
  name: BuiltInProfileName;
  /** Columns in file order. */
  columns: readonly ProfileColumn[];
  /**
   * How a contact must be reachable: `email-or-sms` (The Receptionist: Email, or SMS Phone when
   * there is no Email) or `email` (iLobby matches by email).
   */
  reach: 'email-or-sms' | 'email';
  /** Roles whose values must be unique within one location. */
  unique: readonly ColumnRole[];
}

const name = (attr: string): ColumnInput => ({ from: attr, format: 'trim' });
const email: ColumnInput = { from: 'mail', format: ['trim', 'lower'] };
const department: Partial<Record<DirectoryKind, ColumnInput>> = {
  ldap: { from: ['departmentNumber', 'ou'], format: 'trim' },
  ad: { from: 'department', format: 'trim' },
};

/** The Receptionist for iPad: 11 columns, one row per contact per location. */
export const RECEPTIONIST: Profile = {
  name: 'receptionist',
  reach: 'email-or-sms',
  unique: ['email', 'smsPhone', 'identification'],
  columns: [
    { header: 'First Name', role: 'firstName', defaults: { ldap: name('givenName'), ad: name('givenName') } },
    { header: 'Last Name', role: 'lastName', defaults: { ldap: name('sn'), ad: name('sn') } },
    { header: 'Email', role: 'email', defaults: { ldap: email, ad: email } },
    {
      header: 'SMS Phone',
      role: 'smsPhone',
      defaults: { ldap: { from: 'mobile', format: 'phone' }, ad: { from: 'mobile', format: 'phone' } },
    },
    { header: 'Business Title', role: 'title', defaults: { ldap: name('title'), ad: name('title') } },
    { header: 'Department', role: 'department', defaults: department },
    { header: 'Image', role: 'image' },
    { header: 'PIN', role: 'pin' },
    { header: 'Location Slug', role: 'location' },
    {
      header: 'Identification',
      role: 'identification',
      defaults: { ldap: { from: 'entryUUID', format: 'guid' }, ad: { from: 'objectGUID', format: 'guid' } },
    },
    { header: 'Slack', role: 'slack' },
  ],
};

/** iLobby address book: matched by email, SITE must equal a site name in the portal. */
export const ILOBBY: Profile = {
  name: 'ilobby',
  reach: 'email',
  unique: ['email'],
  columns: [
    { header: 'FIRSTNAME', role: 'firstName', defaults: { ldap: name('givenName'), ad: name('givenName') } },
    { header: 'LASTNAME', role: 'lastName', defaults: { ldap: name('sn'), ad: name('sn') } },
    { header: 'TITLE', role: 'title', defaults: { ldap: name('title'), ad: name('title') } },
    { header: 'DIVISION', role: 'department', defaults: department },
    { header: 'EMAIL', role: 'email', defaults: { ldap: email, ad: email } },
    {
      header: 'MOBILE',
      role: 'mobile',
      defaults: { ldap: { from: 'mobile', format: 'phone' }, ad: { from: 'mobile', format: 'phone' } },
    },
    {
      header: 'DESKPHONE',
      role: 'deskPhone',
      defaults: {
        ldap: { from: 'telephoneNumber', format: 'phone' },
        ad: { from: 'telephoneNumber', format: 'phone' },
      },
    },
    { header: 'SITE', role: 'location' },
  ],
};

/** Built-in profiles by name. */
export const PROFILES = { receptionist: RECEPTIONIST, ilobby: ILOBBY } as const;
