import { describe, expect, inject, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { hostileProject, startHostileVendor } from '../harness/hostile-vendor.js';
import { startConnectProxy } from '../harness/proxy.js';
import { useExampleServers } from '../harness/servers.js';

const skip = inject('slapdSkip');
const SECRET = 'upload-url-check-secret-0123456789';
const ALL = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };

/** The vendor part of check's --json report. */
interface VendorReport {
  status: string;
  exitCode: number;
  vendor: Record<string, unknown>;
}

describe.skipIf(skip !== '')(
  `check verifies the upload URL without uploading (CLI, slapd, mock vendor over TLS)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useExampleServers(SECRET);

    /** check --json on a project whose target is the mock's with these keys replaced. */
    const check = async (target: Record<string, unknown>): Promise<{ run: CliRun; report: VendorReport }> => {
      const cwd = await tempDir();
      const urls = { ldapUrl: servers.slapd.url, mockUrl: servers.mock.url, caFile: servers.caFile };
      await writeConfig(cwd, { ...pushConfig(urls, target), output: { dir: './out' } });
      const run = await runAdsync(['check', '--json'], { cwd, env: ALL });
      return { run, report: JSON.parse(run.stdout) as VendorReport };
    };

    it('the right upload URL: ✔ verified, saying what was checked (OPTIONS with the token, 405); nothing uploaded', async () => {
      const url = `${servers.mock.url}/contacts/import`;
      const { run, report } = await check({});
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(
        `✔ vendor: target.uploadUrl ${url} exists: OPTIONS with the token answered 405 Method Not Allowed (Allow: POST): the server knows the path; nothing was uploaded`,
      );
      expect(report.vendor).toMatchObject({
        status: 'ok',
        upload: { url, method: 'OPTIONS', httpStatus: 405, verdict: 'exists', verified: true },
      });
      expect(servers.mock.uploads()).toHaveLength(0);
      expect(run.stdout + run.stderr).not.toContain(SECRET);
    });

    it('a mistyped upload path: ✘ with a hint naming the URL, never ✔; exit 1 and the --json report says so', async () => {
      const url = `${servers.mock.url}/contacts/imprt`;
      const { run, report } = await check({ uploadUrl: url });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`✘ vendor: target.uploadUrl ${url}: OPTIONS with the token answered 404`);
      expect(run.stderr).toContain('the server has no such path');
      expect(run.stderr).toContain(
        "hint: Check the path of target.uploadUrl for a typo: copy it from the Contact Import Integration page of The Receptionist's web portal",
      );
      expect(run.stderr).not.toMatch(/✔ vendor: target\.uploadUrl/);
      // The token step before it still passed, and says so.
      expect(run.stderr).toContain('issued a token for client adsync');
      expect(report).toMatchObject({
        status: 'error',
        exitCode: 1,
        vendor: {
          status: 'failed',
          failedStep: 'upload',
          upload: { url, httpStatus: 404, verdict: 'not-found', verified: false },
          error: { code: 'UPLOAD_REJECTED' },
        },
      });
      expect(servers.mock.uploads()).toHaveLength(0);
    });

    it('iLobby with an API key: the key is sent with the probe; a wrong key is refused (exit 1), the right one verifies the path', async () => {
      const url = `${servers.mock.url}/addressbook/uploadcsv`;
      const ilobby = {
        profile: 'ilobby',
        uploadUrl: url,
        tokenUrl: undefined,
        clientId: undefined,
        clientSecret: undefined,
        apiKey: '${env:ADSYNC_CLIENT_SECRET}',
      };
      const { run, report } = await check(ilobby);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(
        `✔ vendor: target.uploadUrl ${url} exists: OPTIONS with the API key answered 405 Method Not Allowed`,
      );
      expect(run.stderr).toContain('the API key was sent with the OPTIONS request and not refused');
      expect(report.vendor).toMatchObject({ auth: 'api-key', upload: { verdict: 'exists', verified: true } });

      const wrong = await check({ ...ilobby, apiKey: 'not-the-key-4242' });
      expect(wrong.run.code).toBe(1);
      expect(wrong.run.stderr).toContain(`✘ vendor: the upload URL ${url} refused the API key: OPTIONS`);
      expect(wrong.run.stderr).toContain('hint: Check target.apiKey');
      expect(wrong.run.stderr).not.toMatch(/✔ vendor: target\.uploadUrl/);
      expect(wrong.run.stdout + wrong.run.stderr).not.toContain('not-the-key-4242');
      expect(wrong.report.vendor).toMatchObject({
        status: 'failed',
        upload: { httpStatus: 401, verdict: 'refused', verified: false },
        error: { code: 'UPLOAD_AUTH' },
      });
      // The published iLobby URL is named where a typo is found.
      const typo = await check({ ...ilobby, uploadUrl: `${servers.mock.url}/addressbook/uploadcvs` });
      expect(typo.run.code).toBe(1);
      expect(typo.run.stderr).toContain(
        "iLobby's published upload URL is https://partnerapi.goilobby.com/addressbook/uploadcsv",
      );
      expect(servers.mock.uploads()).toHaveLength(0);
    });

    it('the probe goes through the proxy, and keeps to target.timeoutSeconds', async () => {
      const byKey = {
        tokenUrl: undefined,
        clientId: undefined,
        clientSecret: undefined,
        apiKey: '${env:ADSYNC_CLIENT_SECRET}',
      };
      const proxy = await startConnectProxy();
      try {
        // An API key: the probe is the one HTTP request, so the tunnel the proxy saw is its.
        const { run, report } = await check({ ...byKey, proxy: proxy.url });
        expect(run.code, run.stderr).toBe(0);
        expect(report.vendor).toMatchObject({ upload: { verdict: 'exists', verified: true } });
        expect(proxy.seen.map((s) => s.target)).toContain(new URL(servers.mock.url).host);
      } finally {
        await proxy.stop();
      }
      servers.mock.faults.delayMs = 5_000;
      try {
        const slow = await check({ ...byKey, timeoutSeconds: 1 });
        expect(slow.run.code).toBe(1);
        expect(slow.run.stderr).not.toMatch(/✔ vendor: target\.uploadUrl/);
        expect(slow.run.stderr).toContain(
          `✘ vendor: no answer from ${servers.mock.url}/contacts/import within 1 s (target.timeoutSeconds)`,
        );
        expect(slow.report.vendor).toMatchObject({ status: 'failed', failedStep: 'upload' });
        expect(slow.report.vendor).not.toHaveProperty('upload');
      } finally {
        servers.mock.faults.delayMs = 0;
      }
    });
  },
);

describe('an answer that proves nothing is not shown as verified', () => {
  it('a server answering 200 to anything (a portal, a catch-all): "?" and what it answered, not ✔; exit 0', async () => {
    const vendor = await startHostileVendor((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Welcome to the guest network</html>');
    });
    try {
      const cwd = await hostileProject(vendor, {
        tokenUrl: undefined,
        clientId: undefined,
        clientSecret: undefined,
        apiKey: '${env:ADSYNC_CLIENT_SECRET}',
      });
      const run = await runAdsync(['check', '--json'], { cwd, env: { ADSYNC_CLIENT_SECRET: SECRET } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(
        `? vendor: target.uploadUrl ${vendor.url}/contacts/import: OPTIONS with the API key answered 200 without an Allow header`,
      );
      expect(run.stderr).not.toMatch(/✔ vendor: target\.uploadUrl/);
      const report = JSON.parse(run.stdout) as VendorReport;
      expect(report.vendor).toMatchObject({ upload: { verdict: 'unverified', verified: false } });
      // One OPTIONS request with the key and no body: nothing that could be taken for an upload.
      expect(vendor.seen.map((r) => `${r.method} ${r.path} ${r.body.length}`)).toEqual([
        'OPTIONS /contacts/import 0',
      ]);
      expect(vendor.seen[0]?.headers['x-api-key']).toBe(SECRET);
    } finally {
      await vendor.stop();
    }
  });
});
