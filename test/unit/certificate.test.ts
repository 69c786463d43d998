import { createPrivateKey, X509Certificate } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';

import { describe, expect, it } from 'vitest';

import { selfSignedCertificate } from '../../src/mock-server/certificate.js';

/** The TLS version a client that trusts only `ca` gets from a server with this pair, by name. */
async function handshake(pems: { cert: string; key: string }, host: string): Promise<string | null> {
  const server = https.createServer({ ...pems, minVersion: 'TLSv1.2' }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    // The name is checked as a client connecting to `host` checks it (servername, else the IP).
    return await new Promise((resolve, reject) => {
      const servername = host === '127.0.0.1' ? undefined : host;
      const req = https.get({ host: '127.0.0.1', servername, port, ca: pems.cert }, (res) => {
        const protocol = res.socket instanceof TLSSocket ? res.socket.getProtocol() : null;
        res.resume();
        res.once('end', () => {
          resolve(protocol);
        });
      });
      req.once('error', reject);
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('the mock vendor certificate (node:crypto, no package)', () => {
  it('is a server certificate for localhost, 127.0.0.1 and ::1, valid a year, matching its key', async () => {
    const pems = await selfSignedCertificate();
    const cert = new X509Certificate(pems.cert);
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    // sha256WithRSAEncryption's OID, as DER (X509Certificate.signatureAlgorithm is Node 24 only).
    expect(cert.raw.includes(Buffer.from('06092a864886f70d01010b', 'hex'))).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(pems.key))).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    const days = (cert.validToDate.getTime() - cert.validFromDate.getTime()) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(365);
    expect(cert.validFromDate.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('serves TLS 1.2+ to a client that trusts it, by IP and by name', async () => {
    const pems = await selfSignedCertificate();
    expect(await handshake(pems, '127.0.0.1')).toMatch(/^TLSv1\.[23]$/);
    expect(await handshake(pems, 'localhost')).toMatch(/^TLSv1\.[23]$/);
  });

  it('writes every serial number in minimal DER (a sign or zero byte first made some unreadable)', async () => {
    // A positive serial whose first byte was 0x00 before a byte under 0x80 is refused by
    // OpenSSL ("illegal padding"): the serial always starts with a byte in 0x40–0x7f.
    for (let i = 0; i < 8; i++) {
      const serial = new X509Certificate((await selfSignedCertificate()).cert).serialNumber;
      expect(serial).toMatch(/^[4-7][0-9A-F]{31}$/);
    }
  });
});
