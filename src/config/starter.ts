import { starterSections } from '../directory/source.js';
import type { DirectoryKind } from '../directory/types.js';
import type { ProfileName } from '../vendors/names.js';

/** Options for {@link starterConfig}. */
export interface StarterOptions {
  /** Directory flavour. */
  kind: DirectoryKind;
  /** Vendor profile. */
  profile: ProfileName;
}

const TARGET: Record<StarterOptions['profile'], string> = {
  receptionist: `target:
  profile: receptionist
  # From your Receptionist account's Contact Import Integration page.
  tokenUrl: https://vendor.example/oauth/token
  uploadUrl: https://vendor.example/contacts/import
  clientId: \${env:ADSYNC_CLIENT_ID}
  clientSecret: \${env:ADSYNC_CLIENT_SECRET}
  # Or, when the vendor issued an API key instead of an OAuth2 client: remove tokenUrl, clientId
  # and clientSecret, and send the key in a header.
  # apiKey: \${env:ADSYNC_API_KEY}
  # apiKeyHeader: X-API-Key

# Override a column's mapping (see config.example.yaml for every form).
# columns:
#   Identification: employeeID
#   SMS Phone: { from: [mobile, telephoneNumber], format: phone }
`,
  ilobby: `target:
  profile: ilobby
  tokenUrl: https://partnerapi.goilobby.com/auth/connect/token
  uploadUrl: https://partnerapi.goilobby.com/addressbook/uploadcsv
  clientId: \${env:ADSYNC_CLIENT_ID}
  clientSecret: \${env:ADSYNC_CLIENT_SECRET}
  # Or, when the vendor issued an API key instead of an OAuth2 client: remove tokenUrl, clientId
  # and clientSecret, and send the key in a header.
  # apiKey: \${env:ADSYNC_API_KEY}
  # apiKeyHeader: X-API-Key
`,
  custom: `target:
  profile: custom
  # The column that receives each location's slug.
  locationColumn: Site
  uploadUrl: https://vendor.example/import

# The custom profile's columns, in file order.
columns:
  Name: "{givenName} {sn}"
  Email: { from: mail, format: [trim, lower], required: true, unique: true }
  Phone: { from: [mobile, telephoneNumber], format: phone }
  Title: title
`,
};

/**
 * What keeps a file adsync writes for its account alone (a config, a secret) private, in words
 * for what adsync prints and writes: the mode on POSIX systems. Windows has no file modes (Node's
 * 0o600 only clears the read-only flag): a file there is as private as the ACL it inherits from
 * its folder.
 * @param platform the platform the file is on (default this one)
 */
export function privateFileNote(platform: NodeJS.Platform = process.platform): {
  /** A few words, after a file's name: `mode 600`. */
  short: string;
  /** Comment lines for a written config (each starting with `# `). */
  comment: string;
} {
  if (platform === 'win32') {
    return {
      short: "as private as its folder's ACL",
      comment: `# Windows has no file modes: this file, and any \${file:…} secret, is as private as the ACL
# it inherits from its folder. Keep them under the account's profile, or in a folder only that
# account and Administrators can read (\`icacls FOLDER\` lists who can).`,
    };
  }
  return {
    short: 'mode 600',
    comment: `# Written mode 600 (only its owner can read it): keep it so, and any \${file:…} secret too
# (\`chmod 600 FILE\`).`,
  };
}

/**
 * A commented starter config for `adsync init`. Every variant passes validation once its
 * `${env:…}` variables are set (a test checks all of them).
 * @param options directory kind and vendor profile
 * @param platform whose file protection the comments describe (default this one)
 * @param schema where editors find adsync's JSON Schema, as seen from the config's folder (a
 *   relative path or a file: URL); none: no modeline
 */
export function starterConfig(
  options: StarterOptions,
  platform: NodeJS.Platform = process.platform,
  schema?: string,
): string {
  const sections = starterSections(options.kind);
  const modeline = schema === undefined ? '' : `# yaml-language-server: $schema=${schema}\n`;
  return `${modeline}# adsync configuration — written by \`adsync init\`. Check it with \`adsync check\`, then
# build a CSV to inspect with \`adsync push --dry-run\`. Relative paths are relative to this file.
${privateFileNote(platform).comment}

${sections.directory}
# One CSV row per contact per matching location. Entries that share a slug are combined.
${sections.locations}
${TARGET[options.profile]}
# Contacts the directory does not hold (contractors, a front desk): CSVs with the upload's
# header, the location in its location column (docs/configuration.md, extraContacts).
# extraContacts: ./contractors.csv

phone:
  # How national numbers such as (416) 555-0101 are read; all phones are written as E.164.
  defaultCountry: US

output:
  dir: ./adsync-output
  keep: 30

schedule:
  # When \`adsync schedule install\` (or \`adsync schedule run\`) pushes: minute hour day-of-month
  # month day-of-week. The vendors recommend once a day.
  cron: '0 6 * * *'
  # The cron line's time zone (IANA name); without it, this machine's.
  # timezone: America/Toronto
  # Start up to this many minutes late, at random.
  randomDelayMinutes: 10
  # A run still going after this long is stopped; the scheduler kills it 5 minutes later.
  timeoutMinutes: 30
`;
}
