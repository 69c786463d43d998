import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { MockServer } from '../../src/mock-server/server.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { BIND_ENV, pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { startTrustedMock } from '../harness/mock.js';

const SECRET = 'system-store-secret-0123456789';
const ENV = { ...BIND_ENV, ADSYNC_CLIENT_SECRET: SECRET };

/**
 * On Linux, Node's system store is OpenSSL's: the file SSL_CERT_FILE and the directory
 * SSL_CERT_DIR name (else OpenSSL's default CA file and directory). Setting both for a spawned adsync gives it a
 * system store of the test's choosing without touching /etc. Windows and macOS read their own
 * stores, which a test cannot change without changing the machine.
 */
const why =
  inject('slapdSkip') ||
  (process.platform === 'linux' ? '' : 'the system store is set through SSL_CERT_FILE on Linux only');

describe.skipIf(why !== '')(
  `the operating system's certificate store (CLI, slapd over ldaps://, mock vendor)${why ? ` (SKIPPED: ${why})` : ''}`,
  () => {
    let trusted: { mock: MockServer; caFile: string } | undefined;
    beforeAll(async () => {
      trusted = await startTrustedMock(SECRET);
    });
    afterAll(async () => {
      await trusted?.mock.stop();
    });
    const mock = (): { mock: MockServer; caFile: string } => {
      if (!trusted) throw new Error('the mock vendor is not started');
      return trusted;
    };

    /** The environment of a "system store" holding exactly these CA files. */
    const systemStore = async (...caFiles: string[]): Promise<NodeJS.ProcessEnv> => {
      const dir = await tempDir('adsync-store-');
      const pems = await Promise.all(caFiles.map((file) => readFile(file, 'utf8')));
      await writeFile(join(dir, 'store.pem'), pems.join('\n'));
      await mkdir(join(dir, 'certs'));
      return { SSL_CERT_FILE: join(dir, 'store.pem'), SSL_CERT_DIR: join(dir, 'certs') };
    };

    /** A project reading slapd over ldaps:// and uploading to the mock, with no caFile unless given. */
    const project = async (
      directory: Record<string, unknown>,
      target: Record<string, unknown>,
    ): Promise<string> => {
      const cwd = await tempDir();
      const servers = { ldapUrl: inject('ldapsUrl'), mockUrl: mock().mock.url, caFile: mock().caFile };
      await writeConfig(cwd, {
        ...pushConfig(servers, { caFile: undefined, retries: { attempts: 1 }, ...target }, directory),
        output: { dir: './out' },
      });
      return cwd;
    };
    const check = (cwd: string, store: NodeJS.ProcessEnv): Promise<CliRun> =>
      runAdsync(['check'], { cwd, env: { ...ENV, ...store } });

    it('trusts a directory and a vendor whose CAs are only in the system store, with no caFile', async () => {
      const store = await systemStore(inject('caFile'), mock().caFile);
      const cwd = await project({}, {});
      const checked = await check(cwd, store);
      expect(checked.stderr).toMatch(/reachable, TLSv1\.[23], bound as cn=adsync/);
      expect(checked.stderr).not.toMatch(/TLS with \S+ failed/);
      expect(checked.code).toBe(0);
      const pushed = await runAdsync(['push', '--first-push'], { cwd, env: { ...ENV, ...store } });
      expect(pushed.stderr).not.toMatch(/TLS with \S+ failed/);
      expect(pushed.code).toBe(0);
      expect(mock().mock.uploads().length).toBeGreaterThan(0);
    });

    it('with trustSystemStore: false the same certificates are refused with the TLS errors that name caFile', async () => {
      const store = await systemStore(inject('caFile'), mock().caFile);
      const noDirectoryStore = await check(await project({ trustSystemStore: false }, {}), store);
      expect(noDirectoryStore.code).toBe(1);
      expect(noDirectoryStore.stderr).toMatch(/TLS with ldaps:\S+ failed/);
      expect(noDirectoryStore.stderr).toContain('directory.trustSystemStore is false');
      expect(noDirectoryStore.stderr).toContain('Set directory.caFile');

      const noVendorStore = await check(await project({}, { trustSystemStore: false }), store);
      expect(noVendorStore.code).toBe(1);
      expect(noVendorStore.stderr).toMatch(/reachable, TLSv1\.[23], bound as cn=adsync/);
      expect(noVendorStore.stderr).toContain(`vendor: TLS with ${new URL(mock().mock.url).host} failed`);
      expect(noVendorStore.stderr).toMatch(
        /hint: The certificate of \S+ is not trusted by this machine \(.*target\.trustSystemStore is false.*set target\.caFile/,
      );
    });

    it('caFile adds to the system store: each section trusts its caFile and the store alike', async () => {
      // The store holds the vendor's CA only; the directory's comes from directory.caFile, and the
      // vendor's own caFile names an unrelated CA, which must not hide the store's.
      const store = await systemStore(mock().caFile);
      const cwd = await project({ caFile: inject('caFile') }, { caFile: inject('otherCaFile') });
      const checked = await check(cwd, store);
      expect(checked.stderr).toMatch(/reachable, TLSv1\.[23], bound as cn=adsync/);
      expect(checked.stderr).not.toMatch(/TLS with \S+ failed/);
      expect(checked.code).toBe(0);
      // And with the switch off, the caFile alone still verifies the directory.
      const alone = await check(
        await project({ caFile: inject('caFile'), trustSystemStore: false }, {}),
        store,
      );
      expect(alone.stderr).toMatch(/reachable, TLSv1\.[23], bound as cn=adsync/);
      expect(alone.code).toBe(0);
    });
  },
);
