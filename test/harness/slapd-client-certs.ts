import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { makeCa, type KeyPair } from './tls.ts';

/** Client certificates for a test slapd (SASL EXTERNAL): who it maps to what. */
export interface ClientCertOptions {
  /** authz-regexp rules, in order: a pattern of the certificate subject (slapd's normalised DN) and the DN it maps to. */
  authz: { subject: string; dn: string }[];
}

/**
 * The slapd.conf lines that make slapd demand a client certificate from a CA of its own (besides
 * the server's CA) and map certificate subjects to entries. `demand`, not `allow`: with `allow`
 * slapd takes a certificate from a CA it does not trust and still binds as its subject.
 * @param dir the server's directory
 * @param serverCa the CA of the server certificate (kept in the bundle slapd verifies with)
 * @param options the mappings
 * @returns the lines (replacing TLSCACertificateFile) and the CA that issues client certificates
 */
export async function clientCertLines(
  dir: string,
  serverCa: KeyPair,
  options: ClientCertOptions,
): Promise<{ lines: string[]; clientCa: KeyPair }> {
  const clientCa = await makeCa(dir, 'client-ca');
  const bundle = join(dir, 'trusted-cas.pem');
  await writeFile(bundle, (await readFile(serverCa.cert, 'utf8')) + (await readFile(clientCa.cert, 'utf8')));
  return {
    clientCa,
    lines: [
      `TLSCACertificateFile ${bundle}`,
      'TLSVerifyClient demand',
      ...options.authz.map((a) => `authz-regexp "${a.subject}" "${a.dn}"`),
    ],
  };
}
