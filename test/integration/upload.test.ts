import { createHash } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { basename, join } from 'node:path';
import tls from 'node:tls';

import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';

import { push, type PushResult } from '../../src/pipeline/push.js';
import { targetStatePaths } from '../../src/pipeline/target-state.js';
import { loadConfig } from '../../src/config/load.js';
import { AdsyncError } from '../../src/errors.js';
import { selfSignedCertificate, startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { uploadCsv, type UploadFile } from '../../src/upload/client.js';
import { TokenSource } from '../../src/upload/oauth.js';
import { uploadSettings, type UploadSettings } from '../../src/upload/settings.js';
import { createDispatcher } from '../../src/upload/transport.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { startConnectProxy } from '../harness/proxy.js';
import { asRoot, startExampleSlapd, type Slapd } from '../harness/slapd.js';

/** A CSV on disk as the pipeline hands it to the upload: its name, SHA-256 and size. */
async function plannedFile(path: string): Promise<UploadFile> {
  const bytes = await readFile(path);
  return {
    name: basename(path),
    path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
  };
}

/** Upload settings for API-key mode against a test server. */
function apiKeySettings(
  uploadUrl: string,
  key: string,
  ca: string,
  format: 'multipart' | 'raw',
  attempts: number,
): UploadSettings {
  return {
    tokenUrl: undefined,
    uploadUrl,
    client: undefined,
    apiKey: { header: 'X-API-Key', value: key },
    format,
    fileField: 'file',
    ca,
    tlsMinVersion: 'TLSv1.2',
    proxy: undefined,
    attempts,
    deadlineMs: 5000,
    baseDelayMs: 10,
    timeoutMs: 5000,
    expectEmptyResponse: false,
  };
}
const skip = inject('slapdSkip');
const SECRET = 'client-secret-for-tests-0123456789';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', TEST_CLIENT_SECRET: SECRET };

describe.skipIf(skip !== '')(`upload to the mock vendor${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  let slapd: Slapd;
  let mock: MockServer;
  let caFile: string;
  let stateDir: string;

  beforeAll(async () => {
    // A directory of its own: these tests delete people from it.
    slapd = await startExampleSlapd();
    mock = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }] });
    caFile = join(await tempDir(), 'mock-ca.pem');
    stateDir = await tempDir();
    await writeFile(caFile, mock.certificate);
  });

  afterAll(async () => {
    await mock.stop();
    await slapd.stop();
  });

  beforeEach(() => {
    Object.assign(mock.faults, {
      failNext: 0,
      failStatus: 503,
      retryAfterSeconds: undefined,
      dropNext: 0,
      delayMs: 0,
      expireTokensNext: 0,
    });
  });

  function config(target: Record<string, unknown> = {}, url = mock.url): Record<string, unknown> {
    return {
      directory: {
        kind: 'ldap',
        url: slapd.url,
        bindDN: 'cn=adsync,ou=services,dc=example,dc=com',
        bindPassword: '${env:TEST_BIND_PASSWORD}',
        baseDN: 'dc=example,dc=com',
      },
      locations: [
        { slug: 'hq', ous: ['ou=hq,ou=people,dc=example,dc=com'] },
        { slug: 'warehouse', ous: ['ou=warehouse,ou=people,dc=example,dc=com'] },
      ],
      target: {
        profile: 'receptionist',
        tokenUrl: `${url}/oauth/token`,
        uploadUrl: `${url}/contacts/import`,
        clientId: 'adsync',
        clientSecret: '${env:TEST_CLIENT_SECRET}',
        caFile,
        retries: { attempts: 3, baseDelayMs: 20 },
        ...target,
      },
      columns: { Identification: 'employeeNumber' },
      phone: { defaultCountry: 'CA' },
      output: { dir: './out' },
      state: { dir: stateDir },
    };
  }

  async function pushWith(
    cfg: Record<string, unknown>,
    env: NodeJS.ProcessEnv = ENV,
    approvals: { allowArchive?: number } = {},
  ): Promise<PushResult> {
    const dir = await tempDir();
    await writeConfig(dir, cfg);
    const loaded = await loadConfig({ cwd: dir, env });
    // These tests are about the upload: a push with no baseline yet is approved knowingly.
    const baseline = await access(targetStatePaths(loaded.config).state).then(
      () => true,
      () => false,
    );
    return push(loaded.config, { dryRun: false, env, firstPush: !baseline, ...approvals });
  }

  async function pushError(cfg: Record<string, unknown>, env: NodeJS.ProcessEnv = ENV): Promise<AdsyncError> {
    const error: unknown = await pushWith(cfg, env).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof AdsyncError)) throw new Error(`expected an AdsyncError, got ${String(error)}`);
    return error;
  }

  it('imports the directory, then reports it unchanged, then archives exactly the person removed', async () => {
    const first = await pushWith(config());
    expect(first.upload).toMatchObject({
      status: 'uploaded',
      httpStatus: 200,
      summary: { created: 9, updated: 0, unchanged: 0, archived: 0, errors: [] },
    });
    const active = mock.contacts().filter((c) => c.status === 'active');
    expect(active.map((c) => `${c.location}/${c.fields.Identification ?? ''}`).sort()).toEqual(
      [
        'hq/1001',
        'hq/1002',
        'hq/1003',
        'hq/1004',
        'hq/1005',
        'hq/1006',
        'hq/1013',
        'warehouse/2001',
        'warehouse/2002',
      ].sort(),
    );
    expect(mock.contacts().find((c) => c.fields.Identification === '1001')?.messageRules).toEqual([
      'email',
      'sms',
    ]);

    const second = await pushWith(config());
    expect(second.upload?.summary).toEqual({
      created: 0,
      updated: 0,
      unchanged: 9,
      archived: 0,
      errors: [],
    });

    await asRoot(slapd, 'ldapdelete', 'dc=example,dc=com', [
      'uid=walt,ou=warehouse,ou=people,dc=example,dc=com',
    ]);
    // One of the warehouse's two contacts is 50% of it: with safety.archiveFloor at 0 (every
    // archive counts against the percent), the guard wants an approval.
    const strict = { ...config(), safety: { archiveFloor: 0 } };
    await expect(pushWith(strict)).rejects.toMatchObject({ code: 'GUARD_TRIPPED', exitCode: 3 });
    const third = await pushWith(strict, ENV, { allowArchive: 1 });
    expect(third.plan.archive.map((a) => a.name)).toEqual(['Walt Ware <walt@example.com>']);
    expect(third.upload?.summary).toEqual({ created: 0, updated: 0, unchanged: 8, archived: 1, errors: [] });
    expect(
      mock
        .contacts()
        .filter((c) => c.status === 'archived')
        .map((c) => c.fields.Email),
    ).toEqual(['walt@example.com']);
  });

  it('a partial import (row errors at the vendor) is exit 1 and keeps those rows out of the baseline', async () => {
    // The mock drops a row with an unknown SITE; send the iLobby layout to a site list without "warehouse".
    const strict = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }], sites: ['hq'] });
    const stateHere = await tempDir();
    try {
      const dir = await tempDir();
      await writeFile(join(dir, 'ca.pem'), strict.certificate);
      const cfg = {
        ...config(
          {
            profile: 'ilobby',
            tokenUrl: `${strict.url}/oauth/token`,
            uploadUrl: `${strict.url}/addressbook/uploadcsv`,
            caFile: join(dir, 'ca.pem'),
          },
          strict.url,
        ),
        columns: {},
        state: { dir: stateHere },
      };
      const error = await pushError(cfg);
      expect(error.code).toBe('UPLOAD_PARTIAL');
      expect(error.exitCode).toBe(1);
      expect(error.message).toContain('SITE "warehouse" is not a site of this account');
      // Next time the rows the vendor refused are planned as new, not as already there.
      const again = await pushError(cfg);
      expect(again.code).toBe('UPLOAD_PARTIAL');
      const history = (await readFile(join(stateHere, 'runs.jsonl'), 'utf8')).trim().split('\n');
      expect(history).toHaveLength(2);
      expect(JSON.parse(history[1] ?? '{}')).toMatchObject({
        plan: { create: 1, unchanged: 6, firstPush: false },
      });
    } finally {
      await strict.stop();
    }
  });

  it('shows its contacts and uploads over GET with the same bearer auth', async () => {
    const dispatcher = new Agent({ connect: { ca: mock.certificate } });
    try {
      const tokenRes = await request(`${mock.url}/oauth/token`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'adsync',
          client_secret: SECRET,
        }).toString(),
      });
      const { access_token: token } = (await tokenRes.body.json()) as { access_token: string };
      const contacts = await request(`${mock.url}/contacts`, {
        dispatcher,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(contacts.statusCode).toBe(200);
      const list = (await contacts.body.json()) as { status: string; location: string }[];
      expect(list.length).toBe(mock.contacts().length);
      const uploads = await request(`${mock.url}/uploads`, {
        dispatcher,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(((await uploads.body.json()) as unknown[]).length).toBe(mock.uploads().length);
      const anonymous = await request(`${mock.url}/contacts`, { dispatcher });
      expect(anonymous.statusCode).toBe(401);
      await anonymous.body.dump();
    } finally {
      await dispatcher.close();
    }
  });

  it('gets one fresh token after a 401 and retries once', async () => {
    const before = mock.tokensIssued();
    mock.faults.expireTokensNext = 1;
    const result = await pushWith(config());
    expect(result.upload?.httpStatus).toBe(200);
    expect(mock.tokensIssued() - before).toBe(2);
  });

  it('stops after one refresh when the fresh token is refused too', async () => {
    const before = mock.tokensIssued();
    const uploads = mock.uploads().length;
    mock.faults.expireTokensNext = 5;
    const error = await pushError(config());
    expect(error.code).toBe('UPLOAD_REJECTED');
    expect(error.message).toContain('401');
    expect(mock.tokensIssued() - before).toBe(2);
    expect(mock.uploads().length).toBe(uploads);
  });

  it('a wrong secret is a clear error, exit 1, with no upload', async () => {
    const uploads = mock.uploads().length;
    const error = await pushError(config(), { ...ENV, TEST_CLIENT_SECRET: 'wrong-secret-value' });
    expect(error.code).toBe('UPLOAD_AUTH');
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      `the token endpoint ${mock.url}/oauth/token refused client adsync: 401 invalid_client: unknown client or wrong secret`,
    );
    expect(error.message).not.toContain('wrong-secret-value');
    expect(mock.uploads().length).toBe(uploads);
  });

  it('honours 429 with Retry-After', async () => {
    Object.assign(mock.faults, { failNext: 1, failStatus: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    const result = await pushWith(config());
    expect(result.upload?.attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('retries 503 and a dropped connection, then succeeds', async () => {
    Object.assign(mock.faults, { failNext: 1, failStatus: 503 });
    expect((await pushWith(config())).upload?.attempts).toBe(2);
    mock.faults.dropNext = 1;
    expect((await pushWith(config())).upload?.attempts).toBe(2);
  });

  it('gives up on a permanent 500 after the bounded attempts, exit 1', async () => {
    Object.assign(mock.faults, { failNext: 100, failStatus: 500 });
    const error = await pushError(config());
    expect(error.code).toBe('UPLOAD_FAILED');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('500 injected failure 500');
    expect(mock.faults.failNext).toBe(97);
  });

  it('fails at once on another 4xx with the server message', async () => {
    const error = await pushError(config({ uploadUrl: `${mock.url}/addressbook/uploadcsv` }));
    expect(error.code).toBe('UPLOAD_REJECTED');
    expect(error.message).toContain('400 unknown columns');
  });

  it('uploads a raw text/csv body with a static API key', async () => {
    const result = await pushWith(
      config({
        format: 'raw',
        apiKey: SECRET,
        tokenUrl: undefined,
        clientId: undefined,
        clientSecret: undefined,
      }),
    );
    expect(result.upload?.httpStatus).toBe(200);
    expect(mock.uploads().at(-1)).toMatchObject({ client: 'adsync', outcome: 'imported' });
  });

  it('the vendor rejects bytes that are not UTF-8, naming the offset', async () => {
    const dir = await tempDir();
    const csv = join(dir, 'bad.csv');
    await writeFile(
      csv,
      Buffer.concat([
        Buffer.from('First Name,Last Name,Email\r\nZo'),
        Buffer.from([0xeb]),
        Buffer.from(',X,z@x.org\r\n'),
      ]),
    );
    const settings = apiKeySettings(`${mock.url}/contacts/import`, SECRET, mock.certificate, 'raw', 1);
    await expect(
      uploadCsv(settings, await plannedFile(csv), { onToken: () => undefined }),
    ).rejects.toMatchObject({
      code: 'UPLOAD_REJECTED',
      message: expect.stringContaining('422 invalid UTF-8 byte sequence at byte 30') as string,
    });
  });

  it('streams the planned file from disk, and stops before the end if it is not the planned bytes', async () => {
    const dir = await tempDir();
    const csv = join(dir, 'planned.csv');
    const text = `First Name,Last Name,Email\r\n${Array.from({ length: 20_000 }, (_, i) => `F${i},L${i},p${i}@x.org\r\n`).join('')}`;
    await writeFile(csv, text);
    const sha256 = createHash('sha256').update(text).digest('hex');
    const size = Buffer.byteLength(text);
    for (const format of ['multipart', 'raw'] as const) {
      const settings = apiKeySettings(`${mock.url}/contacts/import`, SECRET, mock.certificate, format, 1);
      const sent = await uploadCsv(
        settings,
        { name: 'planned.csv', path: csv, sha256, size },
        { onToken: () => undefined },
      );
      expect(sent.summary).toMatchObject({ created: expect.any(Number) as number, errors: [] });
      expect(mock.uploads().at(-1)).toMatchObject({ outcome: 'imported' });
    }
    // Another process changes the file after it was planned: nothing complete is sent.
    await writeFile(csv, text.replace('F19999', 'X19999'));
    const uploads = mock.uploads().length;
    const settings = apiKeySettings(`${mock.url}/contacts/import`, SECRET, mock.certificate, 'multipart', 3);
    await expect(
      uploadCsv(settings, { name: 'planned.csv', path: csv, sha256, size }, { onToken: () => undefined }),
    ).rejects.toMatchObject({
      code: 'UPLOAD_FAILED',
      message: expect.stringContaining('changed on disk') as string,
    });
    expect(mock.uploads().length).toBe(uploads);
  });

  it('reuses a token until shortly before it expires, never after', async () => {
    const short = await startMockServer({
      clients: [{ id: 'adsync', secret: SECRET }],
      tokenLifetimeSeconds: 2,
    });
    try {
      const settings = uploadSettings(
        (await loadConfigFor(config({ tokenUrl: `${short.url}/oauth/token`, caFile: undefined }, short.url)))
          .config,
        { insecureHttp: false, env: ENV },
      );
      const seen: string[] = [];
      const tokens = new TokenSource(
        { ...settings, ca: short.certificate },
        createDispatcher({ ...settings, ca: short.certificate }),
        (t) => seen.push(t),
      );
      const a = await tokens.get();
      expect(await tokens.get()).toBe(a);
      await new Promise((r) => setTimeout(r, 2000));
      const b = await tokens.get();
      expect(b).not.toBe(a);
      expect(seen).toEqual([a, b]);
      expect(short.tokensIssued()).toBe(2);
    } finally {
      await short.stop();
    }
  });

  async function loadConfigFor(
    cfg: Record<string, unknown>,
  ): Promise<Awaited<ReturnType<typeof loadConfig>>> {
    const dir = await tempDir();
    await writeConfig(dir, cfg);
    return loadConfig({ cwd: dir, env: ENV });
  }

  it('refuses http:// unless --insecure-http is given for loopback', async () => {
    const error = await pushError(config({ tokenUrl: 'http://127.0.0.1:9/oauth/token' }));
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain('--insecure-http');
  });

  it('goes through a CONNECT proxy with credentials, still verifying TLS end to end', async () => {
    const proxy = await startConnectProxy({
      auth: `Basic ${Buffer.from('proxyuser:proxypass').toString('base64')}`,
    });
    const { port } = proxy;
    try {
      const ok = await pushWith(config({ proxy: `http://proxyuser:proxypass@127.0.0.1:${port}` }));
      expect(ok.upload?.httpStatus).toBe(200);
      expect(proxy.seen.some((s) => s.target === new URL(mock.url).host && s.auth.startsWith('Basic'))).toBe(
        true,
      );
      const denied = await pushError(config({ proxy: `http://proxyuser:wrong@127.0.0.1:${port}` }));
      expect(denied.code).toBe('UPLOAD_FAILED');
      expect(denied.message).toContain(
        `the proxy http://proxyuser:***@127.0.0.1:${port}/ refused the connection`,
      );
      expect(denied.message).not.toContain('wrong');
      // Through the proxy, a certificate the client does not trust is still refused.
      const untrusted = await pushError(
        config({ proxy: `http://proxyuser:proxypass@127.0.0.1:${port}`, caFile: undefined }),
      );
      expect(untrusted.code).toBe('UPLOAD_TLS');
    } finally {
      await proxy.stop();
    }
  });
});

describe('TLS versions', () => {
  it('the client refuses a server that only speaks TLS 1.1 (and a TLS 1.1 client does reach it)', async () => {
    const pems = await selfSignedCertificate();
    const server = https.createServer(
      { ...pems, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
      (_req, res) => res.end('{}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      // Positive control: the server is up and does speak TLS 1.1.
      const version = await new Promise<string | null>((resolve, reject) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port: Number(new URL(url).port),
          ca: pems.cert,
          minVersion: 'TLSv1',
          maxVersion: 'TLSv1.1',
          ciphers: 'DEFAULT@SECLEVEL=0',
        });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol());
          socket.end();
        });
        socket.once('error', reject);
      });
      expect(version).toBe('TLSv1.1');
      const dir = await tempDir();
      const csv = join(dir, 'x.csv');
      await writeFile(csv, 'First Name\r\nA\r\n');
      const settings = apiKeySettings(`${url}/contacts/import`, 'k', pems.cert, 'multipart', 2);
      await expect(
        uploadCsv(settings, await plannedFile(csv), { onToken: () => undefined }),
      ).rejects.toMatchObject({
        code: 'UPLOAD_TLS',
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the mock server refuses a TLS 1.1 client and accepts TLS 1.2', async () => {
    const mock = await startMockServer({ clients: [{ id: 'a', secret: 'b' }] });
    const port = Number(new URL(mock.url).port);
    const connect = (maxVersion: tls.SecureVersion): Promise<string> =>
      new Promise((resolve) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port,
          ca: mock.certificate,
          minVersion: 'TLSv1',
          maxVersion,
          ciphers: 'DEFAULT@SECLEVEL=0',
        });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol() ?? 'none');
          socket.end();
        });
        socket.once('error', (e: NodeJS.ErrnoException) => {
          resolve(`error ${e.code ?? e.message}`);
        });
      });
    try {
      expect(await connect('TLSv1.1')).toMatch(/^error /);
      expect(await connect('TLSv1.2')).toBe('TLSv1.2');
    } finally {
      await mock.stop();
    }
  });
});
