import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { allFilesText, writeConfig } from '../harness/files.js';
import { hostileProject, startHostileVendor, type HostileVendor } from '../harness/hostile-vendor.js';

/** A secret with the characters that encode differently in URLs, forms and base64. */
const SECRET = 'S3c+r/e t=x&y~!';

/** Every form a secret takes on the wire. */
function forms(secret: string, id = 'adsync'): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    Buffer.from(secret).toString('base64'),
    Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64'),
    Buffer.from(`${id}:${secret}`).toString('base64'),
  ];
}

/** The secret in none of its forms in any output or file of the run. */
async function noLeak(run: CliRun, cwd: string, secret: string, skip: string[] = []): Promise<void> {
  let files = await allFilesText(cwd);
  for (const text of skip) files = files.split(text).join('');
  for (const form of forms(secret)) {
    expect(run.stdout, form).not.toContain(form);
    expect(run.stderr, form).not.toContain(form);
    expect(files, form).not.toContain(form);
  }
}

describe('secrets never leak and hostile secret inputs are refused (real files, hostile vendor over TLS)', () => {
  let vendor: HostileVendor;

  const project = (
    target: Record<string, unknown> = {},
    directory: Record<string, unknown> = {},
  ): Promise<string> => hostileProject(vendor, target, directory);
  const adsync = (cwd: string, args: string[]): Promise<CliRun> =>
    runAdsync(args, { cwd, env: { ADSYNC_CLIENT_SECRET: SECRET } });

  beforeAll(async () => {
    // A token endpoint that answers 400 echoing the whole request: headers and form body.
    vendor = await startHostileVendor((req, body, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_request', echo: { headers: req.headers, body } }));
    });
  });
  afterAll(async () => {
    await vendor.stop();
  });

  it('an echoed secret is hidden in every encoding (form post and HTTP Basic)', async () => {
    for (const auth of ['client_secret_post', 'client_secret_basic']) {
      const cwd = await project({ auth });
      const seen = vendor.seen.length;
      const run = await adsync(cwd, ['push', '--first-push', '--json', '--verbose']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('refused client adsync: 400 invalid_request');
      // The server did get the secret (so the test means something)…
      const request = JSON.stringify(vendor.seen.slice(seen));
      expect(forms(SECRET).some((form) => request.includes(form))).toBe(true);
      // …and it is nowhere in what adsync showed or wrote.
      await noLeak(run, cwd, SECRET);
    }
  });

  it('a ${file:} secret loses one trailing line break; a second one, or any control character, is exit 2', async () => {
    const cwd = await project({ clientSecret: '${file:./secret.txt}' });
    await writeFile(join(cwd, 'secret.txt'), `${SECRET}\n`);
    const one = await adsync(cwd, ['push', '--first-push']);
    // Read fine (the vendor then refuses it): not a config error.
    expect(one.code).toBe(1);
    await writeFile(join(cwd, 'secret.txt'), `${SECRET}\n\n`);
    const started = Date.now();
    const two = await adsync(cwd, ['push', '--timeout', '15s']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(
      'target.clientSecret: the value from ${file:./secret.txt} contains a control character (U+000A, a line break)',
    );
    await noLeak(two, cwd, SECRET, [SECRET]);
  });

  it('a ${file:} that is a device, a FIFO or too big, and a --config that is a FIFO, are refused at once (exit 2)', async () => {
    const cwd = await project({ clientSecret: '${file:/dev/zero}' });
    // Inspecting does not need the vendor's secret; uploading does, and names why it cannot.
    const zero = await adsync(cwd, ['push']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('/dev/zero is a device, not a regular file');
    execFileSync('mkfifo', [join(cwd, 'fifo')]);
    await writeConfig(
      cwd,
      (await readFile(join(cwd, 'adsync.yaml'), 'utf8')).replace('${file:/dev/zero}', '${file:./fifo}'),
    );
    const fifo = await adsync(cwd, ['push']);
    expect(fifo.code).toBe(2);
    expect(fifo.stderr).toContain('is a FIFO (named pipe), not a regular file');
    await writeFile(join(cwd, 'big.txt'), 'x'.repeat(100 * 1024));
    await writeConfig(
      cwd,
      (await readFile(join(cwd, 'adsync.yaml'), 'utf8')).replace('${file:./fifo}', '${file:./big.txt}'),
    );
    const big = await adsync(cwd, ['push']);
    expect(big.code).toBe(2);
    expect(big.stderr).toContain('is 102400 bytes; at most 65536 are read');
    const config = await adsync(cwd, ['check', '--config', 'fifo']);
    expect(config.code).toBe(2);
    expect(config.stderr).toContain(`cannot use ${join(cwd, 'fifo')} as the config file`);
  });

  it('credentials written into URLs are refused (exit 2) without being shown; other query values are redacted', async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{}, { kind: 'ldap', file: undefined, url: 'ldaps://cn=x:Pw-in-url-42@127.0.0.1:1' }, 'Pw-in-url-42'],
      [{ tokenUrl: `https://127.0.0.1:1/token?client_secret=Qs-in-url-42` }, {}, 'Qs-in-url-42'],
      [{ uploadUrl: 'https://up:Up-in-url-42@127.0.0.1:1/import' }, {}, 'Up-in-url-42'],
    ];
    for (const [target, directory, secret] of cases) {
      const cwd = await project(target, directory);
      const run = await adsync(cwd, ['check', '--json']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/holds a (user name or password|credential in its query)/);
      await noLeak(run, cwd, secret, [secret]);
    }
    // A query value that is not a known credential is still never shown as written.
    const cwd = await project({ uploadUrl: `${vendor.url}/contacts/import?tenant=acme-7781` });
    const run = await adsync(cwd, ['check', '--json']);
    expect(`${run.stdout}${run.stderr}`).toContain('/contacts/import?tenant=***');
    expect(`${run.stdout}${run.stderr}`).not.toContain('acme-7781');
  });
});
