/** The sample company of `adsync demo`: the files it writes, its config and the directory change. */

import { privateFileNote } from '../../config/starter.js';

/** What the demo writes (and replaces on a re-run in its own directory). */
export const FILES = {
  config: 'adsync.yaml',
  ldif: 'company.ldif',
  secret: 'client-secret.txt',
  ca: 'mock-vendor-ca.pem',
  vendor: 'mock-vendor.json',
  output: 'adsync-output',
  state: 'adsync-state',
} as const;

export const CLIENT_ID = 'adsync-demo';
export const BASE = 'OU=Lakeside,DC=lakeside,DC=example';

/** The directory change of step 4: one hire, one promotion, three leavers. */
export const CHANGE = {
  add: {
    name: 'Chloé Martin',
    location: 'warehouse',
    record: `# Added by adsync demo (step 4): a new hire.
dn: CN=Chloé Martin,OU=Warehouse,${BASE}
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=lakeside,DC=example
cn: Chloé Martin
givenName: Chloé
sn: Martin
mail: chloe.martin@lakeside.example
mobile: (416) 555-0114
title: Logistics Coordinator
department: Warehouse
sAMAccountName: cmartin
userAccountControl: 512
objectGUID:: 4KxoJFcTnUuPHjxafpsNLw==
`,
  },
  update: {
    name: 'Anna-Lena Schmidt-Weber',
    location: 'headquarters',
    dn: `CN=Anna-Lena Schmidt-Weber,OU=Headquarters,${BASE}`,
    attribute: 'title',
    from: 'Controller',
    to: 'Chief Financial Officer',
  },
  // Three at once (the night shift's contract ended): half the warehouse, so the archive guard
  // stops the push; a single leaver at a site this small is an ordinary night (safety.archiveFloor).
  remove: ['Ingrid Haugen', 'Wes Turner', 'Kenji Watanabe'].map((name) => ({
    name,
    location: 'warehouse',
    dn: `CN=${name},OU=Warehouse,${BASE}`,
  })),
};

/** One change made to the demo's LDIF copy. */
export interface DemoChange {
  /** added, changed or removed. */
  kind: 'added' | 'changed' | 'removed';
  /** Who. */
  name: string;
  /** The location slug it concerns. */
  location: string;
  /** What changed, for a change. */
  detail?: string;
}

/**
 * The demo's config: what an admin would write for this company and vendor.
 * @param vendorUrl the mock vendor's base URL
 * @param platform whose file protection the comments describe (default this one)
 */
export function demoConfig(vendorUrl: string, platform: NodeJS.Platform = process.platform): string {
  return `# Written by \`adsync demo\`: the sample company in company.ldif, sent to the bundled mock vendor.
# The mock vendor ran only while the demo ran; a dry run needs no vendor:
#   adsync push --dry-run --config adsync.yaml
directory:
  kind: ldif # read an LDIF export instead of a directory server
  file: ./company.ldif
  flavor: ad # exported from Active Directory: AD's user filter (enabled people) and columns
  baseDN: ${BASE} # where group members are looked for

locations:
  - slug: headquarters
    ous: ['OU=Headquarters,${BASE}']
  - slug: warehouse
    ous: ['OU=Warehouse,${BASE}']
  - slug: warehouse # plus the members of this group, through nested groups
    groups: ['CN=Warehouse Access,OU=Groups,${BASE}']

target:
  profile: receptionist
  tokenUrl: ${vendorUrl}/oauth/token
  uploadUrl: ${vendorUrl}/contacts/import
  clientId: ${CLIENT_ID}
  clientSecret: \${file:./${FILES.secret}} # ${privateFileNote(platform).short}; never written into this file
  caFile: ./${FILES.ca} # the mock vendor's self-signed certificate: TLS is verified

phone:
  defaultCountry: CA # how national numbers such as (416) 555-0100 are read

output:
  dir: ./${FILES.output}

state:
  dir: ./${FILES.state}
`;
}

/** Apply the step-4 change to the LDIF text, as an admin's edits in the directory would. */
export function applyChange(text: string): { text: string; changes: DemoChange[] } {
  const records = text
    .replace(/\r\n/g, '\n')
    .trimEnd()
    .split(/\n{2,}/);
  const dnOf = (record: string): string | undefined => /^dn: (.*)$/m.exec(record)?.[1];
  const leaving = new Set(CHANGE.remove.map((r) => r.dn));
  const kept = records.filter((r) => !leaving.has(dnOf(r) ?? ''));
  const { update } = CHANGE;
  const line = `\n${update.attribute}: ${update.from}\n`;
  const index = kept.findIndex((r) => dnOf(r) === update.dn && `${r}\n`.includes(line));
  const target = kept[index];
  if (kept.length !== records.length - leaving.size || target === undefined) {
    // The bundled company and this change are shipped together: a mismatch is a bug.
    throw new Error(`the demo's company data does not hold the entries its change step edits`);
  }
  kept[index] = `${target}\n`.replace(line, `\n${update.attribute}: ${update.to}\n`).trimEnd();
  kept.push(CHANGE.add.record.trimEnd());
  return {
    text: `${kept.join('\n\n')}\n`,
    changes: [
      { kind: 'added', name: CHANGE.add.name, location: CHANGE.add.location },
      {
        kind: 'changed',
        name: update.name,
        location: update.location,
        detail: `${update.attribute}: ${update.from} → ${update.to}`,
      },
      ...CHANGE.remove.map((r) => ({ kind: 'removed' as const, name: r.name, location: r.location })),
    ],
  };
}
