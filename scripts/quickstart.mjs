// Starts a throwaway slapd with the test company and the bundled mock vendor, writes a config for
// them into quickstart-output/ (or --dir DIR), and runs `adsync push --dry-run` and `adsync push --first-push`
// there. With --keep, both servers stay up until Ctrl-C (SIGINT) or SIGTERM, so the config can be
// run again; without it they stop at the end and it says so. Other arguments go to adsync. Uses
// the test harness (plain TypeScript, which Node runs directly from 22.18): the Node version is
// checked first against adsync's own rule (package.json engines.node, bin/node-version.cjs), and
// the harness is loaded only then, as an older Node could not even load it.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import nodeVersion from '../bin/node-version.cjs';

if (!nodeVersion.nodeIsNewEnough(process.versions.node)) {
  console.error(
    `quickstart: needs Node.js ${nodeVersion.minimum} or newer; this is ${process.versions.node}. ` +
      'Run it as `bash scripts/quickstart.sh`, which fetches Node 24 into .tools/ when needed.',
  );
  process.exit(2);
}
const { startMockServer } = await import('../dist/mock-server/server.js');
const { startExampleSlapd } = await import('../test/harness/slapd.ts');

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const dirAt = args.indexOf('--dir');
if (dirAt >= 0 && (args[dirAt + 1] === undefined || args[dirAt + 1].startsWith('-'))) {
  console.error('quickstart: --dir needs a directory');
  process.exit(2);
}
const out = resolve(dirAt >= 0 ? args[dirAt + 1] : `${root}quickstart-output`);
const passed = args.filter((a, i) => a !== '--keep' && i !== dirAt && i !== dirAt + 1);
// How to name the config in the commands printed: relative to where the user is, when shorter.
const shown = relative(process.cwd(), `${out}/adsync.yaml`);
const configArg = shown.startsWith('..') ? `${out}/adsync.yaml` : shown;
mkdirSync(out, { recursive: true });

const BIND_PASSWORD = 'svc-password-123';
const CLIENT_SECRET = 'quickstart-secret-0123456789';

console.error('starting a throwaway OpenLDAP server on loopback with the test company…');
const slapd = await startExampleSlapd();
console.error('starting the bundled mock vendor (what `adsync mock-server` runs)…');
const mock = await startMockServer({ clients: [{ id: 'quickstart', secret: CLIENT_SECRET }] });
let stopping;
const stop = () => (stopping ??= Promise.all([mock.stop(), slapd.stop()]));
let code;
try {
  // Everything the config names lives beside it, so it stays valid when these servers are gone
  // (history and diff read only the files) and works again while they are up (--keep).
  writeFileSync(`${out}/mock-ca.pem`, mock.certificate);
  copyFileSync(slapd.caFile, `${out}/ldap-ca.pem`);
  writeFileSync(`${out}/bind-password.txt`, `${BIND_PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(`${out}/client-secret.txt`, `${CLIENT_SECRET}\n`, { mode: 0o600 });
  const config = `# Written by scripts/quickstart.sh for a throwaway directory and the mock vendor; see
# config.example.yaml. Both servers run only while the quick start does: run it with --keep to
# keep them up (until Ctrl-C) and use this config again.
directory:
  kind: ldap
  url: ${slapd.ldapsUrl}
  caFile: ./ldap-ca.pem
  bindDN: cn=adsync,ou=services,dc=example,dc=com
  bindPassword: \${file:./bind-password.txt}
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
  clientSecret: \${file:./client-secret.txt}
  caFile: ./mock-ca.pem
phone:
  defaultCountry: CA
output:
  dir: .
`;
  writeFileSync(`${out}/adsync.yaml`, config, { mode: 0o600 });
  console.error(`config: ${out}/adsync.yaml`);
  // The mock vendor starts empty, so its first push is approved knowingly (--first-push): with no
  // baseline adsync cannot guard it. Migrating from the vendor's script, `adsync adopt` that
  // script's last CSV instead (docs/migrating.md).
  for (const step of [
    ['push', '--dry-run'],
    ['push', '--first-push'],
  ]) {
    console.error(`\n$ adsync ${step.join(' ')} --config ${configArg}`);
    // Asynchronously: the mock vendor answers from this very process.
    const child = spawn(
      process.execPath,
      [`${root}bin/adsync.js`, ...step, '--config', `${out}/adsync.yaml`, ...passed],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    code = await new Promise((done) => child.on('close', (status) => done(status ?? 1)));
    if (code !== 0) break;
  }
  console.error(`\nThe config, CSVs, rejects and plan files are in ${out}/.`);
  if (keep) {
    console.error(
      [
        `The directory (${slapd.ldapsUrl}) and the mock vendor (${mock.url}) keep running for that config:`,
        `  ./adsync check --config ${configArg}`,
        `  ./adsync push --dry-run --config ${configArg}`,
        `  ./adsync history --config ${configArg}`,
        'Press Ctrl-C to stop them.',
      ].join('\n'),
    );
    const by = await new Promise((done) => {
      for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => done(signal));
    });
    console.error(`\n${by}: stopping the directory and the mock vendor…`);
  } else {
    console.error(
      [
        `The directory and the mock vendor are stopped now: ${configArg} points to servers that are gone,`,
        `so check and push with it cannot connect (history, and diff of the two runs by the ids history shows, still work). To run it again,`,
        'start the quick start with --keep, which keeps both servers up until Ctrl-C:',
        '  bash scripts/quickstart.sh --keep',
      ].join('\n'),
    );
  }
} finally {
  await stop();
}
process.exit(code ?? 1);
