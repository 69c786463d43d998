// Starts a throwaway slapd with the test company, writes a config for it into
// quickstart-output/, and runs `adsync push --dry-run` there. Uses the test harness (plain
// TypeScript that Node 22.18+ runs directly).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { startSlapd } from '../test/harness/slapd.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}quickstart-output`;
mkdirSync(out, { recursive: true });

console.error('starting a throwaway OpenLDAP server on loopback with the test company…');
const slapd = await startSlapd([
  {
    suffix: 'dc=example,dc=com',
    groupClass: 'groupOfNames',
    ldif: [{ file: `${root}test/fixtures/example.ldif` }],
  },
]);
let code;
try {
  const config = `# Written by scripts/quickstart.sh for a throwaway directory; see config.example.yaml.
directory:
  kind: ldap
  url: ${slapd.ldapsUrl}
  caFile: ${slapd.caFile}
  bindDN: cn=adsync,ou=services,dc=example,dc=com
  bindPassword: \${env:ADSYNC_BIND_PASSWORD}
  baseDN: dc=example,dc=com
locations:
  - slug: hq
    ous: ["ou=hq,ou=people,dc=example,dc=com"]
  - slug: warehouse
    ous: ["ou=warehouse,ou=people,dc=example,dc=com"]
  - slug: warehouse
    groups: ["cn=warehouse-staff,ou=groups,dc=example,dc=com"]
target:
  profile: receptionist
phone:
  defaultCountry: CA
output:
  dir: .
`;
  writeFileSync(`${out}/adsync.yaml`, config);
  console.error(
    `config: ${out}/adsync.yaml\n\n$ adsync push --dry-run --config quickstart-output/adsync.yaml`,
  );
  const run = spawnSync(
    process.execPath,
    [`${root}bin/adsync.js`, 'push', '--dry-run', '--config', `${out}/adsync.yaml`, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, ADSYNC_BIND_PASSWORD: 'svc-password-123' },
    },
  );
  code = run.status ?? 1;
  console.error(`\nThe CSV and the rejects file are in ${out}/ (the directory server is gone again).`);
} finally {
  await slapd.stop();
}
process.exit(code ?? 1);
