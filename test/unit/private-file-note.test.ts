import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { demoConfig } from '../../src/commands/demo/company.js';
import { loadConfig } from '../../src/config/load.js';
import { privateFileNote, starterConfig } from '../../src/config/starter.js';
import { tempDir, writeConfig } from '../harness/files.js';

// What adsync writes about the protection of its config and secret files must be true on the
// platform it runs on: Windows has no file modes (Node's 0o600 only clears the read-only flag).
describe('what protects a private file, as adsync says it', () => {
  const env = { ADSYNC_BIND_PASSWORD: 'x', ADSYNC_CLIENT_ID: 'id', ADSYNC_CLIENT_SECRET: 'secret' };

  it.each(['linux', 'darwin'] as const)('on %s: mode 600', (platform) => {
    const text = starterConfig({ kind: 'ad', profile: 'receptionist' }, platform);
    expect(text).toContain('# Written mode 600 (only its owner can read it)');
    expect(text).not.toMatch(/only root|ACL/);
    expect(demoConfig('https://127.0.0.1:1', platform)).toContain('# mode 600; never written into this file');
    expect(privateFileNote(platform).short).toBe('mode 600');
  });

  it('on Windows: the ACL the file inherits from its folder, never "mode 600"', () => {
    for (const kind of ['ad', 'ldap'] as const) {
      const text = starterConfig({ kind, profile: 'ilobby' }, 'win32');
      expect(text).not.toMatch(/mode 600|chmod|only root/);
      expect(text).toContain('# Windows has no file modes');
      expect(text).toContain('only that\n# account and Administrators can read');
    }
    const demo = demoConfig('https://127.0.0.1:1', 'win32');
    expect(demo).not.toMatch(/mode 600/);
    expect(demo).toContain("# as private as its folder's ACL; never written into this file");
  });

  it.each(['linux', 'win32'] as const)('the %s variants still load', async (platform) => {
    const dir = await tempDir();
    await writeConfig(dir, starterConfig({ kind: 'ad', profile: 'receptionist' }, platform));
    await expect(loadConfig({ cwd: dir, env })).resolves.toBeDefined();
    const demoDir = await tempDir();
    await writeFile(join(demoDir, 'client-secret.txt'), 's\n');
    await writeFile(join(demoDir, 'mock-vendor-ca.pem'), 'a CA');
    await writeConfig(demoDir, demoConfig('https://127.0.0.1:1', platform));
    await expect(loadConfig({ cwd: demoDir, env: {} })).resolves.toBeDefined();
  });
});
