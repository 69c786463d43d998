/**
 * The `directory:` and `locations:` sections of `adsync init`'s starter config for a server of
 * each flavour. Every variant passes validation once its `${env:…}` variables are set.
 */

const DIRECTORY = {
  ad: `directory:
  kind: ad
  # Domain controllers, tried in order when one cannot be reached. Use ldaps:// (636) with the
  # domain's CA, or ldap:// with startTLS: true. AD refuses simple binds over plain ldap://.
  url:
    - ldaps://dc1.corp.example.com
    - ldaps://dc2.corp.example.com
  # The domain's root CA (PEM), if this machine's certificate store lacks it; the file must exist.
  # caFile: ./corp-root-ca.pem
  # A read-only service account: a DN or a UPN (svc-adsync@corp.example.com).
  bindDN: svc-adsync@corp.example.com
  # Never write the password here: read it from the environment, or from a file only adsync's
  # account can read (see the top of this file).
  bindPassword: \${env:ADSYNC_BIND_PASSWORD}
  # ANDed with the default filter (enabled user accounts that are people).
  filter: "(|(mail=*)(mobile=*))"
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
  filter: "(|(mail=*)(mobile=*))"
  pageSize: 500
`,
};

const LOCATIONS = {
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

/** Per flavour: its `directory:` and `locations:` sections. */
export const SERVER_STARTERS: Readonly<Record<string, { directory: string; locations: string }>> = {
  ad: { directory: DIRECTORY.ad, locations: LOCATIONS.ad },
  ldap: { directory: DIRECTORY.ldap, locations: LOCATIONS.ldap },
};
