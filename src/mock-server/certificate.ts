import { generateKeyPair, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { promisify } from 'node:util';

/*
 * A self-signed certificate for the mock vendor and the demo, written here rather than taken from
 * a package: node:crypto (22 and 24) parses X.509 but cannot create a certificate (nodejs/node
 * #51169 is still open), and the `selfsigned` package brought 22 packages and about 9 MB
 * (@peculiar/x509, pkijs, asn1js, tsyringe…) into every install for this one use. Only encoding is
 * done here, never parsing of foreign input, and Node's own X509Certificate reads the result back
 * before it is used (BENCHMARKS.md, "The mock vendor's certificate without selfsigned").
 */

/** DER: a tag, its definite length, its content. */
function der(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  // Lengths under 128 take one byte; longer ones say how many big-endian bytes follow.
  const length =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

const sequence = (...items: Uint8Array[]): Buffer => der(0x30, ...items);

/** An OBJECT IDENTIFIER from its dotted form (base-128 arcs, the first two folded into one). */
function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const group = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) group.unshift((v & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime, which X.509 requires for dates before 2050: YYMMDDHHMMSSZ. */
const utcTime = (date: Date): Buffer =>
  der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));

/** An Extension: its OID, critical when asked, and its DER value wrapped in an OCTET STRING. */
const extension = (id: string, value: Buffer, critical = false): Buffer =>
  sequence(oid(id), ...(critical ? [der(0x01, Buffer.from([0xff]))] : []), der(0x04, value));

/** A Name of one commonName. */
const commonName = (cn: string): Buffer =>
  sequence(der(0x31, sequence(oid('2.5.4.3'), der(0x0c, Buffer.from(cn)))));

/** IP addresses as subjectAltName wants them: 4 or 16 raw bytes. */
function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = [...groups(head), ...Array<string>(ip.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

/** sha256WithRSAEncryption, with its NULL parameters. */
const SHA256_RSA = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

/** The to-be-signed part: a server certificate (no CA) for the given DNS names and IP addresses. */
function tbsCertificate(cn: string, publicKey: KeyObject, dns: string[], ips: string[], now: Date): Buffer {
  // A positive serial (RFC 5280 4.1.2.2) in minimal DER: the top bit of 16 random bytes cleared
  // and the next one set, so the first byte is never a sign byte nor a leading zero.
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const notAfter = new Date(now);
  notAfter.setUTCDate(notAfter.getUTCDate() + 365);
  const altNames = [
    ...dns.map((name) => der(0x82, Buffer.from(name, 'ascii'))),
    ...ips.map((ip) => der(0x87, ipBytes(ip))),
  ];
  return sequence(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    SHA256_RSA,
    commonName(cn),
    sequence(utcTime(now), utcTime(notAfter)),
    commonName(cn),
    publicKey.export({ type: 'spki', format: 'der' }),
    der(
      0xa3,
      sequence(
        extension('2.5.29.19', sequence(), true), // basicConstraints: not a CA
        extension('2.5.29.15', der(0x03, Buffer.from([0x05, 0xa0])), true), // digitalSignature, keyEncipherment
        extension('2.5.29.37', sequence(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
        extension('2.5.29.17', sequence(...altNames)), // subjectAltName
      ),
    ),
  );
}

const pem = (label: string, body: Buffer): string =>
  `-----BEGIN ${label}-----\n${(body.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

/**
 * A self-signed RSA-2048/SHA-256 server certificate for localhost, 127.0.0.1 and ::1, valid for a
 * year, with its PKCS#8 key, both PEM. Checked with Node's own X509Certificate before it is returned.
 */
export async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const tbs = tbsCertificate(
    'adsync mock vendor',
    publicKey,
    ['localhost'],
    ['127.0.0.1', '::1'],
    new Date(),
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = pem('CERTIFICATE', sequence(tbs, SHA256_RSA, der(0x03, Buffer.from([0]), signature)));
  const parsed = new X509Certificate(cert);
  if (!parsed.verify(publicKey) || parsed.checkIP('127.0.0.1') === undefined)
    throw new Error('the self-signed mock certificate did not read back as written');
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
