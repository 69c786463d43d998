import { fileURLToPath } from 'node:url';

import { tempDir } from './files.ts';
import { startSlapd, type Slapd } from './slapd.ts';
import { makeCa, makeClientCert, type KeyPair } from './tls.ts';

/** The entry slapd maps adsync's client certificate (`CN=adsync,O=example`) to. */
export const CERT_SERVICE_DN = 'cn=adsync,ou=services,dc=example,dc=com';

/** A slapd of the test company that demands client certificates, and certificates to try on it. */
export interface ClientCertSlapd {
  /** The server (stop it after the tests). */
  slapd: Slapd;
  /**
   * mapped: to {@link CERT_SERVICE_DN}; stranger: not mapped; ghost: mapped to an entry that does
   * not exist; rogue: the mapped one's subject, from a CA slapd does not trust.
   */
  certs: Record<'mapped' | 'stranger' | 'ghost' | 'rogue', KeyPair>;
}

/** Start a slapd with dc=example,dc=com that maps client certificates, and make the certificates. */
export async function startClientCertSlapd(): Promise<ClientCertSlapd> {
  const slapd = await startSlapd(
    [
      {
        suffix: 'dc=example,dc=com',
        groupClass: 'groupOfNames',
        ldif: [{ file: fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url)) }],
      },
    ],
    {
      clientCerts: {
        authz: [
          { subject: '^cn=adsync,o=example$', dn: CERT_SERVICE_DN },
          { subject: '^cn=ghost,o=example$', dn: 'cn=ghost,ou=services,dc=example,dc=com' },
        ],
      },
    },
  );
  try {
    const dir = await tempDir();
    const clientCa = slapd.clientCa;
    if (!clientCa) throw new Error('slapd started without client certificates');
    const rogueCa = await makeCa(dir, 'rogue-ca');
    const certs = {
      mapped: await makeClientCert(dir, clientCa, 'mapped', '/O=example/CN=adsync'),
      stranger: await makeClientCert(dir, clientCa, 'stranger', '/O=example/CN=stranger'),
      ghost: await makeClientCert(dir, clientCa, 'ghost', '/O=example/CN=ghost'),
      // The same subject as the mapped one: only the CA tells them apart.
      rogue: await makeClientCert(dir, rogueCa, 'rogue', '/O=example/CN=adsync'),
    };
    return { slapd, certs };
  } catch (error) {
    await slapd.stop();
    throw error;
  }
}
