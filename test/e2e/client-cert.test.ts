import { chmod, readFile } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { runAdsync as adsync } from '../harness/cli.js';
import { exampleConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { CERT_SERVICE_DN, startClientCertSlapd, type ClientCertSlapd } from '../harness/client-cert-slapd.js';
import type { Slapd } from '../harness/slapd.js';
import type { KeyPair } from '../harness/tls.js';

const skip = inject('slapdSkip');
const SERVICE = CERT_SERVICE_DN;

describe.skipIf(skip !== '')(
  `auth: external (client certificate) against slapd${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    let slapd: Slapd;
    let certs: ClientCertSlapd['certs'];

    beforeAll(async () => {
      ({ slapd, certs } = await startClientCertSlapd());
    });
    afterAll(async () => {
      await slapd.stop();
    });

    /** The directory section of a certificate bind: no bindDN, no password, no environment. */
    const certDirectory = (cert: KeyPair, server: Record<string, unknown>): Record<string, unknown> => ({
      kind: 'ldap',
      baseDN: 'dc=example,dc=com',
      pageSize: 4,
      auth: 'external',
      certFile: cert.cert,
      keyFile: cert.key,
      ...server,
    });

    /** A project whose directory binds with a certificate over ldaps:// or StartTLS. */
    async function project(cert: KeyPair, how: 'ldaps' | 'startTLS'): Promise<string> {
      const cwd = await tempDir();
      const url = how === 'ldaps' ? { url: slapd.ldapsUrl } : { url: slapd.url, startTLS: true };
      await writeConfig(
        cwd,
        exampleConfig({ directory: certDirectory(cert, { ...url, caFile: slapd.caFile }) }),
      );
      return cwd;
    }

    for (const how of ['ldaps', 'startTLS'] as const) {
      it(`${how}: check and push --dry-run bind with the certificate alone; check names the mapped identity`, async () => {
        const cwd = await project(certs.mapped, how);
        const check = await adsync(['check'], { cwd });
        expect(check.stderr).toContain(
          `bound as ${SERVICE} (SASL EXTERNAL, client certificate CN=adsync,O=example)`,
        );
        expect(check.code, check.stderr).toBe(0);
        const dry = await adsync(['push', '--dry-run'], { cwd });
        expect(dry.code, dry.stderr).toBe(0);
        expect(dry.stderr).toMatch(
          /read 17 entries from ldaps?:\/\/127\.0\.0\.1:\d+ \(TLSv1\.3\)\n {2}hq +7 rows/,
        );
      });

      it(`${how}: a certificate slapd does not map to an entry is refused, with the mapping to add`, async () => {
        const stranger = await adsync(['check'], { cwd: await project(certs.stranger, how) });
        expect(stranger.code).toBe(1);
        expect(stranger.stderr).toContain(
          "did not map the client certificate to an entry: it bound as the certificate's own subject cn=stranger,o=example, which is no entry of the directory",
        );
        expect(stranger.stderr).toContain('olcAuthzRegexp: "^cn=stranger,o=example$"');
        const ghost = await adsync(['push', '--dry-run'], { cwd: await project(certs.ghost, how) });
        expect(ghost.code).toBe(1);
        expect(ghost.stderr).toContain(
          'mapped the client certificate CN=ghost,O=example to cn=ghost,ou=services,dc=example,dc=com, which is no entry of the directory',
        );
      });

      it(`${how}: a certificate from a CA slapd does not trust is refused (TLSVerifyClient demand)`, async () => {
        const run = await adsync(['check'], { cwd: await project(certs.rogue, how) });
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(
          'closed the connection at the SASL EXTERNAL bind: it refused the client certificate CN=adsync,O=example (issued by CN=rogue-ca',
        );
        expect(run.stderr).not.toContain(`bound as ${SERVICE}`);
      });
    }

    it('a server that takes no client certificate says it does not offer SASL EXTERNAL', async () => {
      const cwd = await tempDir();
      // The shared slapd never asks for a client certificate.
      const server = { url: inject('ldapsUrl'), caFile: inject('caFile') };
      await writeConfig(cwd, exampleConfig({ directory: certDirectory(certs.mapped, server) }));
      const run = await adsync(['check', '--json'], { cwd });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        'does not offer SASL EXTERNAL on this connection (authMethodNotSupported, 7)',
      );
      expect(run.stderr).toContain('olcTLSVerifyClient: demand');
      expect(run.stdout).toContain('LDAP_AUTH_METHOD');
    });

    it('the private key never reaches the output, with --verbose and --json, bound or refused', async () => {
      for (const cert of [certs.mapped, certs.rogue]) {
        const cwd = await project(cert, 'ldaps');
        for (const args of [
          ['check', '--verbose'],
          ['check', '--json'],
        ]) {
          const run = await adsync(args, { cwd });
          const key = (await readFile(cert.key, 'utf8')).split('\n').filter((l) => !l.startsWith('-----'));
          for (const line of key.filter((l) => l !== '')) expect(run.stdout + run.stderr).not.toContain(line);
        }
      }
    });

    it.skipIf(process.platform === 'win32')(
      'check warns when every user may read the private key',
      async () => {
        const cwd = await project(certs.mapped, 'ldaps');
        await chmod(certs.mapped.key, 0o644);
        const open = await adsync(['check'], { cwd });
        expect(open.stderr).toContain(
          `the secret file ${certs.mapped.key} (the client certificate's private key, directory.keyFile) can be read by every user of this machine: chmod 600 ${certs.mapped.key}`,
        );
        await chmod(certs.mapped.key, 0o600);
        expect((await adsync(['check'], { cwd })).stderr).not.toContain('can be read by every user');
      },
    );
  },
);
