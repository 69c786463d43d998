import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runAdsync, startAdsync } from '../harness/cli.js';
import {
  hostileProject,
  issueToken,
  startHostileVendor,
  type HostileHandler,
  type HostileVendor,
} from '../harness/hostile-vendor.js';

const SECRET = 'output-order-secret-7Qw';
const ENV = { ADSYNC_CLIENT_SECRET: SECRET };
const UPLOAD = '/contacts/import';

/** The parts of a `--json` report these tests read. */
interface Report {
  status: string;
  rows?: number;
  plan?: { create: number };
  error?: { code: string };
}

/** Where each text first appears in the output, in the order given; fails naming a missing one. */
function positions(output: string, texts: string[]): number[] {
  return texts.map((text) => {
    const at = output.indexOf(text);
    expect(at, `"${text}" is not in:\n${output}`).toBeGreaterThanOrEqual(0);
    return at;
  });
}

describe('a push prints in the order things happened, and shows what it knew when stopped (hostile vendor on loopback)', () => {
  let vendor: HostileVendor;

  beforeAll(async () => {
    vendor = await startHostileVendor((_req, _body, res) => {
      issueToken(res);
    });
  });
  afterAll(async () => {
    await vendor.stop();
  });

  it('read counts and plan, then the retry, then the upload, then what the vendor answered beyond the plan', async () => {
    const cwd = await hostileProject(vendor, { retries: { attempts: 2, baseDelayMs: 10 } });
    let uploads = 0;
    vendor.handle = (req, _body, res) => {
      if (req.url !== UPLOAD) {
        issueToken(res);
        return;
      }
      // The first attempt is refused before it is read: a retry the run tells of as it happens.
      if (++uploads === 1) {
        res.writeHead(503, { 'retry-after': '0' });
        res.end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"archived":910,"errors":[]}');
    };
    const run = await runAdsync(['push', '--first-push'], { cwd, env: ENV });
    expect(run.code, run.stderr).toBe(0);
    const at = positions(run.stderr, [
      '✔ read ',
      '  total ',
      'Plan: ',
      'upload attempt 1 failed',
      '✔ uploaded (HTTP 200, after 2 attempts)',
      'the vendor says it archived or disabled 910 contacts; the plan expected 0',
      'CSV:',
    ]);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    // Said once, in its place: not again among the warnings before the plan.
    expect(run.stderr.split('archived or disabled 910 contacts')).toHaveLength(2);
  });

  it.skipIf(process.platform === 'win32')(
    'Ctrl-C during the upload: the read counts and the plan were shown, the report keeps them, exit 1 RUN_INTERRUPTED',
    async () => {
      const cwd = await hostileProject(vendor);
      let arrived: () => void = () => undefined;
      const uploading = new Promise<void>((resolve) => (arrived = resolve));
      // The upload is taken and never answered: the run waits for the vendor until stopped.
      const hang: HostileHandler = (req, _body, res) => {
        if (req.url !== UPLOAD) {
          issueToken(res);
          return;
        }
        arrived();
      };
      vendor.handle = hang;
      const run = startAdsync(['push', '--first-push', '--json'], { cwd, env: ENV });
      await uploading;
      run.kill('SIGINT');
      const { code, stdout, stderr } = await run.done;
      expect(code, stderr).toBe(1);
      const at = positions(stderr, ['  total ', 'Plan: ', 'the run was stopped by SIGINT']);
      expect(at).toEqual([...at].sort((a, b) => a - b));
      const report = JSON.parse(stdout) as Report;
      expect(report).toMatchObject({ status: 'error', error: { code: 'RUN_INTERRUPTED' } });
      expect(report.rows).toBeGreaterThan(0);
      expect(report.plan?.create).toBe(report.rows);
    },
    60_000,
  );
});
