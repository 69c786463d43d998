import { readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { exampleConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import {
  hostileProject,
  issueToken,
  startHostileVendor,
  type HostileHandler,
  type HostileVendor,
} from '../harness/hostile-vendor.js';

/** The file the harness loads into slapd: read as an LDIF export, no server needed. */
const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const MB = 1024 * 1024;

/**
 * A dry run over the example export with one more person in HQ, whose `description` (not a
 * column: only the reading is tested) is `value`.
 * @param value the description, as written after "description:" (continuations included)
 */
async function dryRunWith(value: string): Promise<{ run: CliRun; file: string }> {
  const cwd = await tempDir();
  const file = join(cwd, 'export.ldif');
  const person = [
    'dn: uid=long,ou=hq,ou=people,dc=example,dc=com',
    'objectClass: inetOrgPerson',
    'uid: long',
    'cn: Long Value',
    'sn: Value',
    `description: ${value}`,
    'mail: long@example.com',
    '',
  ].join('\n');
  await writeFile(file, `${await readFile(EXAMPLE_LDIF, 'utf8')}\n${person}\n`);
  const base = exampleConfig();
  await writeConfig(cwd, { ...base, directory: { kind: 'ldif', file, baseDN: base.directory.baseDN } });
  return { run: await runAdsync(['push', '--dry-run'], { cwd }), file };
}

/** A value of `bytes` folded into 76-column continuation lines, as ldapsearch writes it. */
const folded = (bytes: number): string => 'x'.repeat(bytes).replace(/(.{75})(?=.)/g, '$1\n ');

describe('LDIF values are bounded (real files)', () => {
  it('an 11 MB value on one line is refused naming the file, the line and the attribute (exit 1)', async () => {
    const { run, file } = await dryRunWith('x'.repeat(11 * MB));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: the value of description is over 10 MB`,
      ),
    );
    expect(run.stderr).toContain('Export without this attribute');
    expect(run.stderr).not.toContain('bug in adsync');
  });

  it('an 11 MB value in continuation lines is refused at the line it starts on', async () => {
    const { run } = await dryRunWith(folded(11 * MB));
    expect(run.code).toBe(1);
    // The person starts after the example's lines; the description is its sixth line.
    const lines = (await readFile(EXAMPLE_LDIF, 'utf8')).split('\n').length;
    expect(run.stderr).toContain(
      `:${lines + 6}: the value of description is over 10 MB (continuation lines included)`,
    );
  });

  it('a 9 MB value, on one line or folded, is still read', async () => {
    for (const value of ['x'.repeat(9 * MB), folded(9 * MB)]) {
      const { run } = await dryRunWith(value);
      expect(run.stderr).not.toContain('over 10 MB');
      expect(run.code).toBe(0);
    }
  });
});

/** BER: a tag, a short-form length and the content. */
const tlv = (tag: number, content: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag, content.length]), content]);

/**
 * An LDAP BindResponse to message `id`: success.
 * @param id the request's message id
 */
const bindSuccess = (id: number): Buffer =>
  tlv(
    0x30,
    Buffer.concat([
      tlv(0x02, Buffer.from([id])),
      tlv(
        0x61,
        Buffer.concat([tlv(0x0a, Buffer.from([0])), tlv(0x04, Buffer.alloc(0)), tlv(0x04, Buffer.alloc(0))]),
      ),
    ]),
  );

describe('a peer that is not an LDAP server is named at once (hand-made servers on loopback)', () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  let web = 0;
  let mail = 0;
  let broken = 0;

  /** Listen on a free loopback port; returns the port. */
  const listen = async (server: Server): Promise<number> => {
    servers.push(server);
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    // A web server: it waits for the client to speak, and answers a bind with "400 Bad Request".
    web = await listen(createHttpServer((_request, response) => response.end('hello')));
    // An LDAP server (or a proxy in front of one) that binds, then answers searches with text.
    broken = await listen(
      createServer((socket) => {
        socket.once('data', (bind: Buffer) => {
          socket.write(bindSuccess(bind[4] ?? 1));
          socket.on('data', () => socket.write('PROXY ERROR: upstream reset\r\n'));
        });
      }),
    );
    // A service that greets first, in text (SMTP, FTP, POP3 all do), and then waits.
    mail = await listen(createServer((socket) => socket.write('220 mail.example.com ESMTP ready\r\n')));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /**
   * `check` against `url`, with timeouts far beyond the test's own: an answer that waited for
   * them would fail the test by its time limit.
   */
  const checkAt = async (url: string): Promise<CliRun> => {
    const cwd = await tempDir();
    const base = exampleConfig();
    await writeConfig(cwd, {
      ...base,
      directory: { ...base.directory, url, connectTimeoutSeconds: 600, timeoutSeconds: 600 },
    });
    return runAdsync(['check'], { cwd, env: { TEST_BIND_PASSWORD: 'pw-123456' } });
  };

  it('ldap:// and ldaps:// at a web server name the web server and the LDAP ports (exit 1)', async () => {
    for (const scheme of ['ldap', 'ldaps']) {
      const run = await checkAt(`${scheme}://127.0.0.1:${web}`);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `${scheme}://127.0.0.1:${web} is a web server, not an LDAP server: it answered "HTTP/1.1 400 Bad Request"`,
      );
      expect(run.stderr).toContain(`Port ${web} is a web (HTTP) server's`);
      expect(run.stderr).toContain('389 for ldap://, 636 for ldaps://');
      expect(run.stderr).not.toMatch(/timed out|firewall|TLSv1\.2|cannot reach/);
    }
  });

  it('bytes that are not LDAP in the middle of a session (after a good bind) fail the search at once, named', async () => {
    const run = await checkAt(`ldap://127.0.0.1:${broken}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /search of .+ on ldap:\/\/127\.0\.0\.1:\d+ failed: the server sent bytes that are not LDAP \("PROXY ERROR: upstream reset"\)/,
    );
    expect(run.stderr).toContain('broke the LDAP session');
    expect(run.stderr).not.toMatch(/timed out|check its load/);
  });

  it('a service that greets in text is named with its greeting, without waiting for the timeout', async () => {
    for (const scheme of ['ldap', 'ldaps']) {
      const run = await checkAt(`${scheme}://127.0.0.1:${mail}`);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `${scheme}://127.0.0.1:${mail} answered with text, not LDAP: "220 mail.example.com ESMTP ready"`,
      );
      expect(run.stderr).toContain(`Another service listens on port ${mail}`);
      expect(run.stderr).not.toMatch(/timed out|firewall|TLSv1\.2|cannot reach/);
    }
  });
});

describe('a vendor answer sent content-encoded is decoded within the 1 MB cap (hand-made HTTPS vendor)', () => {
  const SECRET = 'hostile-inputs-secret-7Qw';
  let vendor: HostileVendor;

  /** A vendor that issues tokens and answers every upload 200 with `body`, encoded as `encoding`. */
  const answersEncoded =
    (encoding: string, body: Buffer): HostileHandler =>
    (req, _body, res) => {
      if (req.url === '/oauth/token') {
        issueToken(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
      res.end(body);
    };

  beforeAll(async () => {
    vendor = await startHostileVendor(answersEncoded('identity', Buffer.from('{}')));
  });
  afterAll(async () => {
    await vendor.stop();
  });

  /** A first push of the example export, `--json`; returns the run and its report. */
  const firstPush = async (): Promise<{ run: CliRun; report: Record<string, unknown> }> => {
    const cwd = await hostileProject(vendor);
    const run = await runAdsync(['push', '--first-push', '--json'], {
      cwd,
      env: { ADSYNC_CLIENT_SECRET: SECRET },
    });
    expect(run.stdout, run.stderr).not.toBe('');
    return { run, report: JSON.parse(run.stdout) as Record<string, unknown> };
  };

  it('a gzip and a br import summary are read: exit 0 with the vendor’s counts; adsync asked for identity', async () => {
    const summary = Buffer.from('{"created":10,"updated":0,"archived":0,"errors":[]}');
    for (const [encoding, body] of [
      ['gzip', gzipSync(summary)],
      ['br', brotliCompressSync(summary)],
    ] as const) {
      vendor.handle = answersEncoded(encoding, body);
      const seen = vendor.seen.length;
      const { run, report } = await firstPush();
      expect(run.code, run.stderr).toBe(0);
      expect(report.upload).toMatchObject({ summary: { created: 10, updated: 0, archived: 0 } });
      const requests = vendor.seen.slice(seen);
      expect(requests.map((r) => r.path)).toEqual(['/oauth/token', '/contacts/import']);
      for (const request of requests) expect(request.headers['accept-encoding']).toBe('identity');
    }
  });

  it('a gzip bomb stops at the cap: exit 1 naming the size and the encoding; an unknown encoding is named', async () => {
    // 64 MB of spaces inside a summary: about 64 KB once compressed.
    const bomb = gzipSync(Buffer.from(`{"created":10,${' '.repeat(64 * 1024 * 1024)}"errors":[]}`));
    vendor.handle = answersEncoded('gzip', bomb);
    const { run, report } = await firstPush();
    expect(run.code).toBe(1);
    expect(report.error).toMatchObject({ code: 'UPLOAD_UNCONFIRMED' });
    expect(run.stderr).toContain(
      'answered 200 with an answer over 1 MB once decoded from gzip, not an import summary',
    );

    vendor.handle = answersEncoded('zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00]));
    const zstd = await firstPush();
    expect(zstd.run.code).toBe(1);
    expect(zstd.run.stderr).toContain(
      'answered 200 with an answer in the zstd content encoding, which adsync does not decode',
    );
    expect(zstd.run.stderr).toContain('Accept-Encoding: identity');
  });
});
