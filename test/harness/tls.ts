import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PEM key and certificate on disk. */
export interface KeyPair {
  /** Private key file. */
  key: string;
  /** Certificate file. */
  cert: string;
}

/**
 * A throw-away CA for a test server (openssl CLI; valid two days).
 * @param dir where to write it
 * @param name file name and CN
 */
export async function makeCa(dir: string, name: string): Promise<KeyPair> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  return { key, cert };
}

/**
 * A key and a certificate signed by a test CA, with the given subject and extensions.
 * @param dir where to write them
 * @param ca the issuing CA
 * @param name file name
 * @param subject the subject in OpenSSL's form
 * @param extensions the certificate's extensions, one per line (OpenSSL's extfile)
 */
async function signedCert(
  dir: string,
  ca: KeyPair,
  name: string,
  subject: string,
  extensions: string,
): Promise<KeyPair> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    subject,
  ]);
  await run('openssl', [
    ...['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'],
    ...['-out', cert, '-days', '2', '-extfile', ext],
  ]);
  return { key, cert };
}

/**
 * A server certificate for localhost and 127.0.0.1, signed by a test CA.
 * @param dir where to write it
 * @param ca the issuing CA
 */
export function makeServerCert(dir: string, ca: KeyPair): Promise<KeyPair> {
  return signedCert(
    dir,
    ca,
    'server',
    '/CN=localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
}

/**
 * A TLS client certificate (extendedKeyUsage clientAuth) signed by a CA, for SASL EXTERNAL.
 * @param dir where to write it
 * @param ca the issuing CA
 * @param name file name
 * @param subject its subject in OpenSSL's form, e.g. `/O=example/CN=adsync`
 */
export function makeClientCert(dir: string, ca: KeyPair, name: string, subject: string): Promise<KeyPair> {
  return signedCert(dir, ca, name, subject, 'extendedKeyUsage=clientAuth\n');
}
