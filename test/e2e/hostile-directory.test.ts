import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runAdsync } from '../harness/cli.js';
import { exampleConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';

/** BER: a tag, a definite length (short or long form) and the content. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

/**
 * An LDAP BindResponse to message `id`: other (80) with the given diagnostic message,
 * as a server under someone else's control could send it.
 * @param id the request's message id
 * @param diagnostic the server's text
 */
function bindRefusal(id: number, diagnostic: string): Buffer {
  const result = Buffer.concat([
    tlv(0x0a, Buffer.from([80])),
    tlv(0x04, Buffer.alloc(0)),
    tlv(0x04, Buffer.from(diagnostic, 'utf8')),
  ]);
  return tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([id])), tlv(0x61, result)]));
}

describe('a directory server’s text is never shown raw (hand-made LDAP server on loopback)', () => {
  let server: Server;
  let url: string;
  const sockets = new Set<Socket>();
  const diagnostic = `\u001b]0;pwned\u0007\u001b[2J\u001b[31mnope\u0000 ${'y'.repeat(5000)}`;

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      // The request starts 30 LL 02 01 ID: the reply carries the same message id.
      socket.once('data', (request: Buffer) => socket.write(bindRefusal(request[4] ?? 1, diagnostic)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ldap://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });

  it('a bind refusal with escape sequences and NUL: cleaned, excerpted, exit 1', async () => {
    const cwd = await tempDir();
    const base = exampleConfig();
    await writeConfig(cwd, { ...base, directory: { ...base.directory, url } });
    const run = await runAdsync(['push', '--dry-run', '--json'], {
      cwd,
      env: { TEST_BIND_PASSWORD: 'pw-123456' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /bind at ldap:\/\/127\.0\.0\.1:\d+ failed: nope y+… \(\d+ characters in all\)/,
    );
    expect(run.stderr).toContain('nope');
    for (const text of [run.stdout, run.stderr]) {
      // eslint-disable-next-line no-control-regex -- control characters are what is looked for
      expect(text).not.toMatch(/[\u0000\u0007\u001b]/);
      expect(text.length).toBeLessThan(4000);
    }
  });
});
