import type { DirectoryKind } from '../directory/types.js';
import type { ProfileName } from '../vendors/names.js';

/** Options for {@link starterConfig}. */
export interface StarterOptions {
  /** Directory flavour. */
  kind: DirectoryKind;
  /** Vendor profile. */
  profile: ProfileName;
}

const DIRECTORY: Record<DirectoryKind, string> = {
  ad: `directory:
  kind: ad
  # Domain controllers, tried in order when one cannot be reached. Use ldaps:// (636) with the
  # domain's CA, or ldap:// with startTLS: true. AD refuses simple binds over plain ldap://.
  url:
    - ldaps://dc1.corp.example.com
    - ldaps://dc2.corp.example.com
  # The domain's root CA (PEM), unless this machine already trusts it; the file must exist.
  # caFile: ./corp-root-ca.pem
  # A read-only service account: a DN or a UPN (svc-adsync@corp.example.com).
  bindDN: svc-adsync@corp.example.com
  # Never write the password here: read it from the environment or a file only root can read.
  bindPassword: \${env:ADSYNC_BIND_PASSWORD}
  # ANDed with the default filter (enabled user accounts that are people).
  filter: "(mail=*)"
  pageSize: 500
`,
  ldap: `directory:
  kind: ldap
  url: ldaps://ldap.example.com
  # caFile: ./ldap-ca.pem        # PEM of the CA that issued the server certificate
  # startTLS: true               # with an ldap:// URL instead of ldaps://
  bindDN: cn=adsync,ou=services,dc=example,dc=com
  bindPassword: \${env:ADSYNC_BIND_PASSWORD}
  # Needed when a location lists groups but no OUs.
  baseDN: dc=example,dc=com
  # ANDed with the default filter (objectClass=inetOrgPerson).
  filter: "(mail=*)"
  pageSize: 500
`,
};

const LOCATIONS: Record<DirectoryKind, string> = {
  ad: `locations:
  - slug: headquarters
    ous: ["OU=Users,OU=HQ,DC=corp,DC=example,DC=com"]
  - slug: warehouse
    ous: ["OU=Users,OU=Warehouse,DC=corp,DC=example,DC=com"]
    # Keep only members of any of these groups (inside the OUs above; without ous: under baseDN).
    # groups: ["CN=Warehouse Staff,OU=Groups,DC=corp,DC=example,DC=com"]
`,
  ldap: `locations:
  - slug: headquarters
    ous: ["ou=hq,ou=people,dc=example,dc=com"]
  - slug: warehouse
    ous: ["ou=warehouse,ou=people,dc=example,dc=com"]
    # Keep only members of any of these groups (inside the OUs above; without ous: under baseDN).
    # groups: ["cn=warehouse-staff,ou=groups,dc=example,dc=com"]   # needs the memberOf overlay
`,
};

const TARGET: Record<StarterOptions['profile'], string> = {
  receptionist: `target:
  profile: receptionist
  # From your Receptionist account's Contact Import Integration page.
  tokenUrl: https://vendor.example/oauth/token
  uploadUrl: https://vendor.example/contacts/import
  clientId: \${env:ADSYNC_CLIENT_ID}
  clientSecret: \${env:ADSYNC_CLIENT_SECRET}

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
 * A commented starter config for `adsync init`. Every variant passes validation once its
 * `${env:…}` variables are set (a test checks all of them).
 * @param options directory kind and vendor profile
 */
export function starterConfig(options: StarterOptions): string {
  return `# yaml-language-server: $schema=./node_modules/adsync/schema/adsync.schema.json
# adsync configuration — written by \`adsync init\`. Check it with \`adsync check\`, then
# build a CSV to inspect with \`adsync push --dry-run\`. Relative paths are relative to this file.

${DIRECTORY[options.kind]}
# One CSV row per contact per matching location. Entries that share a slug are combined.
${LOCATIONS[options.kind]}
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
`;
}
