import { createHash } from 'node:crypto';
import dns from 'node:dns';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { uploadCsv, type UploadFile } from '../../src/upload/client.js';
import type { UploadSettings } from '../../src/upload/settings.js';
import { normalizeNoProxy } from '../../src/upload/transport.js';
import { tempDir } from '../harness/files.js';
import { startConnectProxy, type ConnectProxy } from '../harness/proxy.js';

const KEY = 'no-proxy-test-key-0123456789';

/** A certificate for every name the tests connect to. */
async function certificate(): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'vendor.localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

describe('NO_PROXY: an excluded host never sees the proxy', () => {
  let v4: MockServer;
  let v6: MockServer;
  let proxy: ConnectProxy;
  let file: UploadFile;
  let ca: string;
  const lookup = dns.lookup;

  beforeAll(async () => {
    // Names under .localhost and the fully qualified "localhost." are loopback (RFC 6761), but
    // this machine's resolver only knows "localhost": answer them the way the RFC says.
    const patched = ((host: string, ...rest: unknown[]) => {
      (lookup as (...args: unknown[]) => void).call(
        dns,
        /(^|\.)localhost\.?$/i.test(host) ? 'localhost' : host,
        ...rest,
      );
    }) as typeof dns.lookup;
    dns.lookup = patched;
    const tls = await certificate();
    ca = tls.cert;
    v4 = await startMockServer({ clients: [{ id: 'adsync', secret: KEY }], tls });
    v6 = await startMockServer({ clients: [{ id: 'adsync', secret: KEY }], tls, host: '::1' });
    proxy = await startConnectProxy();
    const dir = await tempDir();
    const path = join(dir, 'contacts.csv');
    const text = 'First Name,Last Name,Email\r\nAda,Lovelace,ada@example.org\r\n';
    await writeFile(path, text);
    file = {
      name: 'contacts.csv',
      path,
      sha256: createHash('sha256').update(text).digest('hex'),
      size: Buffer.byteLength(text),
    };
  });

  afterAll(async () => {
    dns.lookup = lookup;
    await proxy.stop();
    await v4.stop();
    await v6.stop();
  });

  function settings(uploadUrl: string, noProxy: string): UploadSettings {
    return {
      tokenUrl: undefined,
      uploadUrl,
      client: undefined,
      apiKey: { header: 'X-API-Key', value: KEY },
      format: 'multipart',
      fileField: 'file',
      ca,
      tlsMinVersion: 'TLSv1.2',
      proxy: proxy.url,
      noProxy,
      attempts: 1,
      deadlineMs: 5000,
      baseDelayMs: 10,
      timeoutMs: 5000,
      expectEmptyResponse: false,
    };
  }

  const port = (mock: MockServer): string => new URL(mock.url).port;

  /** Upload once and say whether the proxy was asked for a tunnel. */
  async function route(host: string, mock: MockServer, noProxy: string): Promise<'direct' | 'proxy'> {
    const before = proxy.seen.length;
    const uploads = mock.uploads().length;
    const sent = await uploadCsv(settings(`https://${host}:${port(mock)}/contacts/import`, noProxy), file, {
      onToken: () => undefined,
    });
    expect(sent.httpStatus).toBe(200);
    expect(mock.uploads().length).toBe(uploads + 1);
    return proxy.seen.length === before ? 'direct' : 'proxy';
  }

  it('goes through the proxy when the host is not excluded (the positive control)', async () => {
    expect(await route('localhost', v4, 'vendor.invalid')).toBe('proxy');
    expect(proxy.seen.at(-1)?.target).toBe(`localhost:${port(v4)}`);
    expect(await route('[::1]', v6, '')).toBe('proxy');
    expect(proxy.seen.at(-1)?.target).toBe(`[::1]:${port(v6)}`);
  });

  it('a *.domain entry: its subdomains go directly, the domain itself does not match', async () => {
    expect(await route('vendor.localhost', v4, '*.localhost')).toBe('direct');
    expect(await route('localhost', v4, '*.localhost')).toBe('proxy');
    expect(await route('vendor.localhost', v4, '.localhost')).toBe('direct');
  });

  it('a host:port entry excludes that port only', async () => {
    expect(await route('localhost', v4, `localhost:${port(v4)}`)).toBe('direct');
    expect(await route('localhost', v4, 'localhost:1')).toBe('proxy');
  });

  it('a space-, comma- or semicolon-separated list', async () => {
    expect(await route('localhost', v4, 'vendor.invalid localhost')).toBe('direct');
    expect(await route('localhost', v4, ' vendor.invalid ,\tlocalhost ')).toBe('direct');
    expect(await route('localhost', v4, 'vendor.invalid;localhost')).toBe('direct');
  });

  it('a trailing dot, on the entry or on the URL host', async () => {
    expect(await route('localhost', v4, 'localhost.')).toBe('direct');
    expect(await route('localhost.', v4, 'localhost')).toBe('direct');
  });

  it('::1, [::1], [::1]:port and the uncompressed form for a [::1] URL', async () => {
    expect(await route('[::1]', v6, '::1')).toBe('direct');
    expect(await route('[::1]', v6, '[::1]')).toBe('direct');
    expect(await route('[::1]', v6, `[::1]:${port(v6)}`)).toBe('direct');
    expect(await route('[::1]', v6, '0:0:0:0:0:0:0:1')).toBe('direct');
    expect(await route('[::1]', v6, `[0::1]:${port(v6)}`)).toBe('direct');
    expect(await route('127.0.0.1', v4, '127.0.0.1')).toBe('direct');
  });

  it('normalises only what undici would not match', () => {
    expect(normalizeNoProxy('a.example;b.example  c.example:443')).toBe('a.example,b.example,c.example:443');
    expect(normalizeNoProxy('0:0:0:0:0:0:0:1,[0::1]:8443,::1,*.x.example')).toBe(
      '[::1],[::1]:8443,[::1],*.x.example',
    );
  });
});
