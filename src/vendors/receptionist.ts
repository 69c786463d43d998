import type { VendorProfile } from './types.js';
import { DEPARTMENT, email, name, phone } from './column-defaults.js';

/**
 * The Receptionist for iPad: 11 columns, one row per contact per location. A contact needs an
 * Email or an SMS Phone; the vendor matches by Identification, then Email, then SMS Phone within
 * the location (../shared/seeds: its address-book import guide).
 */
export const RECEPTIONIST: VendorProfile = {
  name: 'receptionist',
  title: 'The Receptionist for iPad',
  rules: {
    reach: 'email-or-sms',
    unique: ['email', 'smsPhone', 'identification'],
    oneSitePerEmail: false,
    match: {
      keys: [
        { role: 'identification', prefix: 'id' },
        { role: 'email', prefix: 'email' },
        { role: 'smsPhone', prefix: 'sms' },
      ],
      // Adding an Identification mapping or changing an email is then an update, not archive + create.
      triesEach: true,
      scope: 'location',
    },
    maxLength: {},
    phoneFormat: 'phone',
  },
  delivery: {
    kind: 'csv-upload',
    // The seed's guide: the "Contact Import Integration page" says how the file is transmitted.
    uploadUrlSource: "the Contact Import Integration page of The Receptionist's web portal",
  },
  columns: [
    { header: 'First Name', role: 'firstName', defaults: name('givenName') },
    { header: 'Last Name', role: 'lastName', defaults: name('sn') },
    { header: 'Email', role: 'email', defaults: email },
    { header: 'SMS Phone', role: 'smsPhone', defaults: phone('mobile') },
    { header: 'Business Title', role: 'title', defaults: name('title') },
    { header: 'Department', role: 'department', defaults: DEPARTMENT },
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
