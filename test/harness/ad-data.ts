/** The test company in the Samba AD domain: the DNs and passwords tests refer to. */
export const AD = {
  realm: 'corp.example.com',
  baseDN: 'DC=corp,DC=example,DC=com',
  adminPassword: 'Adm1n!Passw0rd-test',
  hq: 'OU=HQ,OU=Corp,DC=corp,DC=example,DC=com',
  warehouse: 'OU=Warehouse,OU=Corp,DC=corp,DC=example,DC=com',
  bulk: 'OU=Bulk,DC=corp,DC=example,DC=com',
  groups: 'OU=Groups,DC=corp,DC=example,DC=com',
  warehouseStaff: 'CN=Warehouse Staff,OU=Groups,DC=corp,DC=example,DC=com',
  forkliftOperators: 'CN=Forklift Operators,OU=Groups,DC=corp,DC=example,DC=com',
  labAccess: 'CN=Lab Access,OU=Groups,DC=corp,DC=example,DC=com',
  bulkEveryone: 'CN=Bulk Everyone,OU=Groups,DC=corp,DC=example,DC=com',
  bulkCount: 2500,
  /** Service accounts: UPN and password. */
  svc: {
    upn: 'svc-adsync@corp.example.com',
    dn: 'CN=svc-adsync,OU=Service Accounts,DC=corp,DC=example,DC=com',
    password: 'Svc!Passw0rd-adsync',
  },
  typo: { upn: 'svc-typo@corp.example.com', password: 'Typo!Passw0rd-real' },
  locked: { upn: 'svc-locked@corp.example.com', password: 'Locked!Passw0rd-1' },
  expired: { upn: 'svc-expired@corp.example.com', password: 'Expired!Passw0rd-1' },
} as const;

const pwd = (password: string): string => Buffer.from(`"${password}"`, 'utf16le').toString('base64');

function value(key: string, v: string): string {
  // LDIF needs base64 for non-ASCII values and values starting with a space, colon or '<'.
  return /[^\x20-\x7e]|^[ :<]/.test(v)
    ? `${key}:: ${Buffer.from(v, 'utf8').toString('base64')}`
    : `${key}: ${v}`;
}

function entry(dn: string, attrs: [string, string][]): string {
  return [value('dn', dn), ...attrs.map(([k, v]) => value(k, v))].join('\n');
}

function user(cn: string, ou: string, sam: string, attrs: [string, string][], uac = '544'): string {
  return entry(`CN=${cn},${ou}`, [
    ['objectClass', 'user'],
    ['sAMAccountName', sam],
    ['userPrincipalName', `${sam}@${AD.realm}`],
    ['userAccountControl', uac],
    ...attrs,
  ]);
}

function service(sam: string, password: string, extra: [string, string][] = []): string {
  return `${entry(`CN=${sam},OU=Service Accounts,${AD.baseDN}`, [
    ['objectClass', 'user'],
    ['sAMAccountName', sam],
    ['userPrincipalName', `${sam}@${AD.realm}`],
    ['userAccountControl', '66048'], // normal account, password never expires
    ...extra,
  ])}\nunicodePwd:: ${pwd(password)}`;
}

/** LDIF (for ldapadd over LDAPS) that builds the test company. */
export function adLdif(): string {
  const ou = (dn: string): string => entry(dn, [['objectClass', 'organizationalUnit']]);
  const bulkDn = (i: number): string => `CN=Bulk User ${String(i).padStart(4, '0')},${AD.bulk}`;
  const parts = [
    ou(`OU=Corp,${AD.baseDN}`),
    ou(AD.hq),
    ou(AD.warehouse),
    ou(AD.bulk),
    ou(AD.groups),
    ou(`OU=Service Accounts,${AD.baseDN}`),
    service('svc-adsync', AD.svc.password),
    service('svc-typo', AD.typo.password),
    service('svc-locked', AD.locked.password),
    service('svc-expired', AD.expired.password, [['accountExpires', '1000']]),
    user('Zoë Ångström', AD.hq, 'zoe', [
      ['givenName', 'Zoë'],
      ['sn', 'Ångström'],
      ['mail', 'zoe@corp.example.com'],
      ['title', 'Head of "Quality", Europe'],
      ['department', 'Quality'],
      ['mobile', '(416) 555-0101'],
      ['employeeID', 'E1001'],
    ]),
    user('李 小龍', AD.hq, 'li', [
      ['givenName', '小龍'],
      ['sn', '李'],
      ['mail', 'li@corp.example.com'],
      ['department', '研究'],
      ['employeeID', 'E1002'],
    ]),
    user('Hank Hoist', AD.hq, 'hank', [
      ['givenName', 'Hank'],
      ['sn', 'Hoist'],
      ['mail', 'hank@corp.example.com'],
      ['employeeID', 'E1003'],
    ]),
    user('Lara Lab', AD.hq, 'lara', [
      ['givenName', 'Lara'],
      ['sn', 'Lab'],
      ['mail', 'lara@corp.example.com'],
      ['employeeID', 'E1004'],
    ]),
    user(
      'Dina Disabled',
      AD.hq,
      'dina',
      [
        ['givenName', 'Dina'],
        ['sn', 'Disabled'],
        ['mail', 'dina@corp.example.com'],
        ['employeeID', 'E1005'],
      ],
      '546',
    ),
    user('Wendy Ware', AD.warehouse, 'wendy', [
      ['givenName', 'Wendy'],
      ['sn', 'Ware'],
      ['mail', 'wendy@corp.example.com'],
      ['mobile', '+1 416 555 0199'],
      ['employeeID', 'E2001'],
    ]),
    entry(AD.forkliftOperators, [
      ['objectClass', 'group'],
      ['member', `CN=Hank Hoist,${AD.hq}`],
    ]),
    entry(AD.warehouseStaff, [
      ['objectClass', 'group'],
      ['member', AD.forkliftOperators],
      ['member', `CN=Lara Lab,${AD.hq}`],
    ]),
    entry(AD.labAccess, [
      ['objectClass', 'group'],
      ['member', `CN=Lara Lab,${AD.hq}`],
    ]),
  ];
  for (let i = 0; i < AD.bulkCount; i++) {
    const n = String(i).padStart(4, '0');
    parts.push(
      user(`Bulk User ${n}`, AD.bulk, `bulk${n}`, [
        ['givenName', 'Bulk'],
        ['sn', `User ${n}`],
        ['mail', `bulk${n}@corp.example.com`],
      ]),
    );
  }
  parts.push(
    entry(AD.bulkEveryone, [
      ['objectClass', 'group'],
      ...Array.from({ length: AD.bulkCount }, (_, i): [string, string] => ['member', bulkDn(i)]),
    ]),
  );
  return `${parts.join('\n\n')}\n`;
}
