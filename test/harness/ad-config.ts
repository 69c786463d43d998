import { inject } from 'vitest';

import { AD } from './ad-data.js';

/** A test config (plain data, written as YAML). */
export type Config = Record<string, unknown> & { directory: Record<string, unknown> };

/**
 * A receptionist config for the harness's Samba AD: LDAPS with the harness CA, the service
 * account's UPN, HQ by OU, the warehouse by OU plus (nested) members of Warehouse Staff, and
 * the lab by group.
 * @param overrides keys to replace at the top level
 */
export function adConfig(overrides: Partial<Config> = {}): Config {
  return {
    directory: {
      kind: 'ad',
      url: inject('adLdapsUrl'),
      caFile: inject('adCaFile'),
      bindDN: AD.svc.upn,
      bindPassword: '${env:AD_BIND_PASSWORD}',
      baseDN: AD.baseDN,
    },
    locations: [
      { slug: 'hq', ous: [AD.hq] },
      { slug: 'warehouse', ous: [AD.warehouse] },
      { slug: 'warehouse', groups: [AD.warehouseStaff] },
      { slug: 'lab', groups: [AD.labAccess] },
    ],
    target: { profile: 'receptionist' },
    phone: { defaultCountry: 'CA' },
    output: { dir: './out' },
    ...overrides,
  };
}
