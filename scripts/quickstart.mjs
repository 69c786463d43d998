// Starts a throwaway slapd with the test company, writes a config for it into
// quickstart-output/, and runs `adsync push --dry-run` there. Uses the test harness (plain
// TypeScript that Node 22.18+ runs directly).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { startMockServer } from '../dist/mock-server/server.js';
import { startExampleSlapd } from '../test/harness/slapd.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}quickstart-output`;
mkdirSync(out, { recursive: true });

console.error('starting a throwaway OpenLDAP server on loopback with the test company…');
const slapd = await startExampleSlapd();
console.error('starting the bundled mock vendor (what `adsync mock-server` runs)…');
const mock = await startMockServer({
  clients: [{ id: 'quickstart', secret: 'quickstart-secret-0123456789' }],
});
writeFileSync(`${out}/mock-ca.pem`, mock.certificate);
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
  tokenUrl: ${mock.url}/oauth/token
  uploadUrl: ${mock.url}/contacts/import
  clientId: quickstart
  clientSecret: \${env:ADSYNC_CLIENT_SECRET}
  caFile: ${out}/mock-ca.pem
phone:
  defaultCountry: CA
output:
  dir: .
`;
  writeFileSync(`${out}/adsync.yaml`, config);
  console.error(`config: ${out}/adsync.yaml`);
  const env = {
    ...process.env,
    ADSYNC_BIND_PASSWORD: 'svc-password-123',
    ADSYNC_CLIENT_SECRET: 'quickstart-secret-0123456789',
  };
  for (const args of [['push', '--dry-run'], ['push']]) {
    console.error(`\n$ adsync ${args.join(' ')} --config quickstart-output/adsync.yaml`);
    // Asynchronously: the mock vendor answers from this very process.
    const child = spawn(
      process.execPath,
      [`${root}bin/adsync.js`, ...args, '--config', `${out}/adsync.yaml`, ...process.argv.slice(2)],
      { stdio: 'inherit', env },
    );
    code = await new Promise((resolve) => child.on('close', (status) => resolve(status ?? 1)));
    if (code !== 0) break;
  }
  console.error(
    `\nThe config, CSVs and rejects files are in ${out}/ (the directory and the mock vendor are gone again).`,
  );
} finally {
  await mock.stop();
  await slapd.stop();
}
process.exit(code ?? 1);
