import { readFile, readdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { allFilesText } from '../harness/files.js';
import {
  hostileProject,
  issueToken,
  startHostileVendor,
  type HostileVendor,
} from '../harness/hostile-vendor.js';

const SECRET = 'hostile-vendor-secret-7Zq';
const ESC = '\u001b';

describe('a vendor answer is never trusted blindly (hand-made hostile vendor over TLS on loopback)', () => {
  let vendor: HostileVendor;

  /** A project pushing example.ldif to the hostile vendor; returns its directory. */
  const project = (target: Record<string, unknown> = {}): Promise<string> =>
    hostileProject(vendor, { retries: { attempts: 2, baseDelayMs: 10 }, ...target });
  // Every project here is new (no baseline), and its first push is approved knowingly.
  const push = (cwd: string, args: string[] = []): Promise<CliRun> =>
    runAdsync(['push', '--json', '--first-push', ...args], { cwd, env: { ADSYNC_CLIENT_SECRET: SECRET } });
  /** The run ended as a run must: a report, a history line, no lock left, no state moved. */
  const endedCleanly = async (cwd: string, run: CliRun, code: string): Promise<void> => {
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'error', exitCode: 1, error: { code } });
    const state = await readdir(join(cwd, 'state'));
    expect(state.filter((n) => n.endsWith('.lock'))).toEqual([]);
    expect(state.filter((n) => /^state-.*\.json$/.test(n))).toEqual([]);
    const history = (await readFile(join(cwd, 'state', 'runs.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(history.at(-1) ?? '{}')).toMatchObject({ outcome: 'error', exitCode: 1 });
  };

  beforeAll(async () => {
    vendor = await startHostileVendor((_req, _body, res) => {
      issueToken(res);
    });
  });
  afterAll(async () => {
    await vendor.stop();
  });

  it('a token with a line break in it is refused, named, and the run ends (exit 1)', async () => {
    const cwd = await project();
    vendor.handle = (req, _body, res) => {
      if (req.url === '/oauth/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"access_token":"a\\r\\nX-Injected: y","expires_in":3600}');
      } else res.writeHead(500).end();
    };
    const uploads = vendor.seen.length;
    const started = Date.now();
    const run = await push(cwd, ['--timeout', '15s']);
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.stderr).toContain('answered with an access_token that is not a valid token');
    expect(vendor.seen.slice(uploads).map((s) => s.path)).toEqual(['/oauth/token']);
    await endedCleanly(cwd, run, 'UPLOAD_AUTH');
  });

  it('a 200 with a login page is not an import: UPLOAD_UNCONFIRMED, exit 1, the baseline stays', async () => {
    const cwd = await project();
    vendor.handle = (req, _body, res) => {
      if (req.url === '/oauth/token') {
        issueToken(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><h1>Sign in to the guest Wi-Fi</h1></body></html>');
    };
    const run = await push(cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'answered 200 with "<html><body><h1>Sign in to the guest Wi-Fi</h1></body></html>", not an import summary',
    );
    expect(run.stderr).toContain('target.expectEmptyResponse');
    await endedCleanly(cwd, run, 'UPLOAD_UNCONFIRMED');

    // An empty 200 is not one either, unless the config says this vendor answers nothing.
    vendor.handle = (req, _body, res) => {
      if (req.url === '/oauth/token') {
        issueToken(res);
        return;
      }
      res.writeHead(200).end();
    };
    const empty = await push(cwd);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('answered 200 with an empty answer');
    const documented = await push(await project({ expectEmptyResponse: true }));
    expect(documented.code).toBe(0);
  });

  it('an import summary checked against the plan: "imported nothing" is UPLOAD_UNCONFIRMED, created far fewer fails the run', async () => {
    const summary =
      (counts: Record<string, number>) =>
      (req: IncomingMessage, _body: string, res: ServerResponse): void => {
        if (req.url === '/oauth/token') {
          issueToken(res);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...counts, errors: [] }));
      };
    const cwd = await project();
    vendor.handle = summary({ created: 0, updated: 0, unchanged: 0, archived: 0 });
    const nothing = await push(cwd);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/says it imported none of the \d+ rows/);
    await endedCleanly(cwd, nothing, 'UPLOAD_UNCONFIRMED');
    // Zeros beside an error about the whole file are no import either, and the message quotes it.
    vendor.handle = (req, _body, res) => {
      if (req.url === '/oauth/token') {
        issueToken(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ created: 0, updated: 0, unchanged: 0, errors: [{ message: 'invalid header' }] }),
      );
    };
    const header = await push(cwd);
    expect(header.code).toBe(1);
    expect(header.stderr).toMatch(
      /says it imported none of the \d+ rows \(created, updated and unchanged are all 0\): invalid header/,
    );
    await endedCleanly(cwd, header, 'UPLOAD_UNCONFIRMED');
    // A first push of every contact that the vendor says created one of, matching none: it
    // dropped the rest (VENDOR_CREATED_FEWER, exit 1; more in vendor-answer.test.ts).
    vendor.handle = summary({ created: 1, updated: 0, unchanged: 0, archived: 0 });
    const few = await push(cwd);
    expect(few.code).toBe(1);
    const report = JSON.parse(few.stdout) as { rows: number; error: { code: string; message: string } };
    expect(report.error.code).toBe('VENDOR_CREATED_FEWER');
    expect(report.error.message).toContain(
      `the vendor says it created 1 contacts; the plan created ${report.rows}`,
    );
  });

  it('a huge error body with escape sequences: read up to 1 MB, a short clean excerpt in every output', async () => {
    const cwd = await project({ retries: { attempts: 1 } });
    const page = `${ESC}]8;;https://evil.example${ESC}\\click${ESC}]8;;${ESC}\\ ${ESC}[31mRED\u0000${'x'.repeat(20 * 1024 * 1024)}`;
    vendor.handle = (req, _body, res) => {
      if (req.url === '/oauth/token') {
        issueToken(res);
        return;
      }
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(page);
    };
    const run = await push(cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the vendor rejected the upload');
    expect(run.stderr).toContain('click RED');
    const outputs = [run.stdout, run.stderr, await allFilesText(cwd)];
    for (const text of outputs) {
      expect(text).not.toContain(ESC);
      expect(text).not.toContain('\u0000');
      expect(text.length).toBeLessThan(2 * 1024 * 1024);
    }
    expect(run.stderr.length).toBeLessThan(8 * 1024);
    await endedCleanly(cwd, run, 'UPLOAD_REJECTED');
  }, 30_000);

  it('a vendor trickling its 200 one byte a second is cut off by timeoutSeconds, and not sent again', async () => {
    const cwd = await project({
      timeoutSeconds: 2,
      retries: { attempts: 5, maxSeconds: 5, baseDelayMs: 10 },
    });
    const timers = new Set<NodeJS.Timeout>();
    vendor.handle = (req, _body, res) => {
      if (req.url === '/oauth/token') {
        issueToken(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 1000);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
      });
    };
    const started = Date.now();
    const uploads = vendor.seen.filter((s) => s.path === '/contacts/import').length;
    const run = await push(cwd);
    const seconds = (Date.now() - started) / 1000;
    for (const timer of timers) clearInterval(timer);
    expect(run.code).toBe(1);
    expect(seconds).toBeLessThan(12);
    // The answer began with 200: the vendor may have imported the file, so it is not sent again.
    expect(run.stderr).toMatch(
      /answered 200, but its answer did not arrive whole \(no complete answer within 2 s/,
    );
    expect(vendor.seen.filter((s) => s.path === '/contacts/import').length - uploads).toBe(1);
    await endedCleanly(cwd, run, 'UPLOAD_UNCONFIRMED');
  }, 30_000);
});
