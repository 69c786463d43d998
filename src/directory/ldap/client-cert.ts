import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

import { describeError } from '../../errors.js';
import { FILE_LIMITS, readSmallFile } from '../../io/small-file.js';

/** A TLS client certificate and its key (`auth: external`), read and checked to belong together. */
export interface ClientCertificate {
  /** The PEM certificate (a chain may follow it), as given to TLS. */
  cert: Buffer;
  /** The PEM private key, as given to TLS: never shown, never logged. */
  key: Buffer;
  /** The certificate's subject in LDAP order, most specific first: `CN=adsync,O=Example`. */
  subject: string;
  /** Its issuer, in the same form. */
  issuer: string;
  /** When it stops being valid. */
  validTo: string;
}

/** Why a certificate and key cannot be used: which key of `directory:` to fix, and why. */
export class ClientCertificateProblem extends Error {
  /**
   * @param key `certFile` or `keyFile`
   * @param message what is wrong (never the key's content)
   */
  public constructor(
    public readonly key: 'certFile' | 'keyFile',
    message: string,
  ) {
    super(message);
  }
}

/** OpenSSL's multi-line name (root-most first) as an LDAP DN (most specific first). */
const ldapOrder = (name: string): string => name.split('\n').reverse().join(',');

function readFile(path: string, key: 'certFile' | 'keyFile', limit: number): Buffer {
  try {
    return readSmallFile(path, limit);
  } catch (error) {
    throw new ClientCertificateProblem(key, `cannot read ${path} (${describeError(error)})`);
  }
}

/**
 * The private key, refused when encrypted: adsync would need its passphrase, one more secret to
 * store, where the file's permissions already protect an unencrypted key as well.
 */
function privateKey(key: Buffer, keyFile: string): KeyObject {
  const text = key.toString('latin1');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(text))
    throw new ClientCertificateProblem(
      'keyFile',
      `${keyFile} is an encrypted private key, which adsync does not support (it would need a passphrase, one more secret to keep): store it unencrypted (openssl pkey -in ENCRYPTED.key -out adsync-client.key) and readable by the service account only (chmod 600)`,
    );
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    throw new ClientCertificateProblem('keyFile', `${keyFile} holds no PEM private key`);
  try {
    return createPrivateKey(key);
  } catch (error) {
    // Node's message names the decoder's failure, never the key's bytes.
    throw new ClientCertificateProblem(
      'keyFile',
      `${keyFile} holds no usable private key (${describeError(error)})`,
    );
  }
}

/**
 * Read the client certificate and its key, and check that they belong together.
 * @param certFile PEM file of the certificate (absolute)
 * @param keyFile PEM file of its private key (absolute)
 * @throws {ClientCertificateProblem} saying which file and why
 */
export function readClientCertificate(certFile: string, keyFile: string): ClientCertificate {
  const cert = readFile(certFile, 'certFile', FILE_LIMITS.ca);
  let x509: X509Certificate;
  try {
    if (!cert.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new Error('not PEM');
    x509 = new X509Certificate(cert);
  } catch {
    throw new ClientCertificateProblem('certFile', `${certFile} holds no PEM certificate`);
  }
  const key = readFile(keyFile, 'keyFile', FILE_LIMITS.secret);
  if (!x509.checkPrivateKey(privateKey(key, keyFile)))
    throw new ClientCertificateProblem(
      'keyFile',
      `${keyFile} is not the private key of the certificate in ${certFile}`,
    );
  return {
    cert,
    key,
    subject: ldapOrder(x509.subject),
    issuer: ldapOrder(x509.issuer),
    validTo: x509.validTo,
  };
}
