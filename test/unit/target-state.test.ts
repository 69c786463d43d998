import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { targetStatePaths } from '../../src/pipeline/target-state.js';
import { exampleConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';

/** The state file a config's target would use. */
async function statePath(target: Record<string, unknown>): Promise<string> {
  const dir = await tempDir();
  const base = exampleConfig();
  await writeConfig(dir, {
    ...base,
    target: { profile: 'receptionist', ...target },
    state: { dir: '/var/lib/adsync' },
  });
  const { config } = await loadConfig({ cwd: dir, env: { TEST_BIND_PASSWORD: 'x', KEY: 'k1', KEY2: 'k2' } });
  return targetStatePaths(config).state;
}

const oauth = (uploadUrl: string, clientId = 'site-a'): Record<string, unknown> => ({
  uploadUrl,
  tokenUrl: 'https://vendor.example.com/oauth/token',
  clientId,
  clientSecret: 'not-part-of-the-key',
});

describe('the baseline is keyed by the vendor account (issue 23 §2)', () => {
  it('is the same for every spelling of the upload URL', async () => {
    const plain = await statePath(oauth('https://vendor.example.com/contacts/import'));
    for (const url of [
      'HTTPS://Vendor.Example.COM/contacts/import',
      'https://vendor.example.com:443/contacts/import',
      'https://vendor.example.com./contacts/./x/../import',
      'https://vendor.example.com/%63ontacts/import',
    ]) {
      expect(await statePath(oauth(url)), url).toBe(plain);
    }
    expect(await statePath(oauth('https://vendor.example.com/contacts/import2'))).not.toBe(plain);
    expect(await statePath(oauth('https://vendor.example.com:8443/contacts/import'))).not.toBe(plain);
  });

  it('keeps two client ids at one URL apart, and ignores secrets and API keys', async () => {
    const url = 'https://vendor.example.com/contacts/import';
    const a = await statePath(oauth(url, 'site-a'));
    expect(await statePath(oauth(url, 'site-b'))).not.toBe(a);
    expect(await statePath({ ...oauth(url, 'site-a'), clientSecret: 'rotated' })).toBe(a);
    const key1 = await statePath({ uploadUrl: url, apiKey: '${env:KEY}' });
    expect(await statePath({ uploadUrl: url, apiKey: '${env:KEY2}' })).toBe(key1);
  });
});
