import { createHash } from 'node:crypto';

import { BerReader } from 'ldapts';

/** Signature algorithms whose own hash is used; MD5 and SHA-1 ones (and any other) use SHA-256. */
const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.12': 'sha384', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13': 'sha512', // sha512WithRSAEncryption
  '1.2.840.10045.4.3.3': 'sha384', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4': 'sha512', // ecdsa-with-SHA512
};

/** The OID of a certificate's signatureAlgorithm, or undefined when the DER cannot be read. */
function signatureAlgorithm(der: Buffer): string | undefined {
  try {
    const r = new BerReader(der);
    r.readSequence(0x30); // Certificate
    r.readSequence(0x30); // tbsCertificate: skipped whole
    r.offset += r.length;
    r.readSequence(0x30); // signatureAlgorithm
    return r.readOID() ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * RFC 5929 `tls-server-end-point` channel-binding data for a server certificate: the prefix and
 * the certificate's hash, with the hash function of its signature (SHA-256 for MD5, SHA-1 and
 * anything else). A DC that enforces channel binding (LdapEnforceChannelBinding) compares it
 * with its own certificate's, so a bind relayed through another TLS connection fails.
 * @param certificateDer the server certificate as DER (the TLS socket's peer certificate `raw`)
 */
export function tlsServerEndPoint(certificateDer: Buffer): Buffer {
  const algorithm = SIGNATURE_HASHES[signatureAlgorithm(certificateDer) ?? ''] ?? 'sha256';
  const hash = createHash(algorithm).update(certificateDer).digest();
  return Buffer.concat([Buffer.from('tls-server-end-point:', 'ascii'), hash]);
}
