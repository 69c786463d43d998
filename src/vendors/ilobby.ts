import { DEPARTMENT, email, name, phone } from './column-defaults.js';
import type { VendorProfile } from './types.js';

/**
 * iLobby's address book: matched by email across all sites, one site per contact, SITE must
 * equal a site name in the portal. The endpoints are those of iLobby's published script.
 */
export const ILOBBY: VendorProfile = {
  name: 'ilobby',
  title: 'iLobby',
  rules: {
    reach: 'email',
    unique: ['email'],
    oneSitePerEmail: true,
    // A site move is an update, not archive + create.
    match: { keys: [{ role: 'email', prefix: 'email' }], triesEach: false, scope: 'account' },
    // iLobby's own limits where it documents one.
    maxLength: { firstName: 50, lastName: 50 },
    // iLobby's sample file writes 4169998888: national digits at home, E.164 for the rest.
    phoneFormat: 'phone-national',
  },
  delivery: {
    kind: 'csv-upload',
    tokenUrl: 'https://partnerapi.goilobby.com/auth/connect/token',
    uploadUrl: 'https://partnerapi.goilobby.com/addressbook/uploadcsv',
    uploadUrlSource: "iLobby's sample PowerShell script ($urlDest), or iLobby support",
  },
  columns: [
    { header: 'FIRSTNAME', role: 'firstName', defaults: name('givenName') },
    { header: 'LASTNAME', role: 'lastName', defaults: name('sn') },
    { header: 'TITLE', role: 'title', defaults: name('title') },
    { header: 'DIVISION', role: 'department', defaults: DEPARTMENT },
    { header: 'EMAIL', role: 'email', defaults: email },
    { header: 'MOBILE', role: 'mobile', defaults: phone('mobile') },
    { header: 'DESKPHONE', role: 'deskPhone', defaults: phone('telephoneNumber') },
    { header: 'SITE', role: 'location' },
  ],
};
