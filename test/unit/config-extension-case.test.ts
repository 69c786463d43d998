import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { tempDir, writeConfig } from '../harness/files.js';

const minimal = {
  directory: { kind: 'ldap', url: 'ldap://127.0.0.1:389' },
  locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
  target: { profile: 'receptionist' },
};

/**
 * File extensions are case-insensitive on Windows (`C:\adsync\ADSYNC.YAML` is what Explorer
 * shows for a file saved in capitals): --config reads .YAML, .YML and .JSON in any case, and
 * still refuses a file of code in any case.
 */
describe('--config takes an extension in any case', () => {
  it.each(['ADSYNC.YAML', 'Adsync.Yml', 'adsync.yAmL', 'ADSYNC.JSON', '.ADSYNCRC.JSON'])(
    'reads %s',
    async (name) => {
      const dir = await tempDir();
      await writeConfig(dir, JSON.stringify(minimal), name);
      const { config } = await loadConfig({ cwd: dir, env: {}, configPath: name });
      expect(config.filepath).toBe(join(dir, name));
      expect(config.directory).toMatchObject({ urls: ['ldap://127.0.0.1:389'] });
    },
  );

  it('reads the adsync key of a PACKAGE.JSON', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'PACKAGE.JSON'), JSON.stringify({ name: 'x', adsync: minimal }));
    const { config } = await loadConfig({ cwd: dir, env: {}, configPath: 'PACKAGE.JSON' });
    expect(config.directory).toMatchObject({ urls: ['ldap://127.0.0.1:389'] });
  });

  it('refuses ADSYNC.CONFIG.JS as code and ADSYNC.TXT as no YAML, whatever the case', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'ADSYNC.CONFIG.JS'), "require('node:fs').writeFileSync('ran', 'x');\n");
    await expect(loadConfig({ cwd: dir, env: {}, configPath: 'ADSYNC.CONFIG.JS' })).rejects.toMatchObject({
      code: 'CONFIG_NOT_FOUND',
      message: 'ADSYNC.CONFIG.JS is a file of code; adsync reads its config as data only',
    });
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    await writeConfig(dir, JSON.stringify(minimal), 'ADSYNC.TXT');
    await expect(loadConfig({ cwd: dir, env: {}, configPath: 'ADSYNC.TXT' })).rejects.toMatchObject({
      code: 'CONFIG_NOT_FOUND',
      hint: expect.stringContaining('any case') as string,
    });
  });
});
