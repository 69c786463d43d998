import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { runAdsync } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { useExampleServers } from '../harness/servers.js';

const skip = inject('slapdSkip');
const SECRET = 'local-client-secret-0123456789';

describe.skipIf(skip !== '')(
  `history and diff need no secret; an unset webhook costs only the notification (slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useExampleServers(SECRET);
    /** A push config whose webhook, like its secrets, comes from the environment. */
    const config = (): Record<string, unknown> => ({
      ...pushConfig({ ldapUrl: servers.slapd.url, mockUrl: servers.mock.url, caFile: servers.caFile }),
      state: { dir: './state' },
      output: { dir: './out' },
      notify: { webhook: '${env:ADSYNC_WEBHOOK_URL}' },
    });

    it('history and diff run without the bind password, the client secret or the webhook', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      // No variable at all: the commands read only local files.
      const history = await runAdsync(['history'], { cwd });
      expect(history.code, history.stderr).toBe(0);
      expect(history.stderr).toContain('no runs recorded yet');
      await writeFile(join(cwd, 'a.csv'), 'First Name,Last Name,Email\r\nAda,Lovelace,ada@example.com\r\n');
      await writeFile(join(cwd, 'b.csv'), 'First Name,Last Name,Email\r\n');
      const diff = await runAdsync(['diff', 'a.csv', 'b.csv'], { cwd });
      expect(diff.code, diff.stderr).toBe(0);
      expect(diff.stdout).toContain('- Ada Lovelace');
    });

    it('a dry run goes on without its webhook, saying so', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      const dry = await runAdsync(['push', '--dry-run'], {
        cwd,
        env: { TEST_BIND_PASSWORD: 'svc-password-123' },
      });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stderr).toContain(
        'notify.webhook: environment variable ADSYNC_WEBHOOK_URL is not set: this run sends no notification',
      );
    }, 60_000);
  },
);
