import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CONFIG_SEARCH_PLACES, loadConfig } from '../../src/config/load.js';
import { runAdsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';

const minimal = {
  directory: { kind: 'ldap', url: 'ldap://127.0.0.1:389' },
  locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
  target: { profile: 'receptionist' },
};

/** A file of code that, if it ever ran, would leave `ran` beside it. */
const CODE = `require('node:fs').writeFileSync(require('node:path').join(__dirname, 'ran'), 'x'); module.exports = {};\n`;

describe('where the config is looked for', () => {
  it.each([
    ['.adsyncrc', JSON.stringify(minimal)],
    ['.adsyncrc.yml', JSON.stringify(minimal)],
    ['.adsyncrc.json', JSON.stringify(minimal, null, 2)],
    ['adsync.config.yml', JSON.stringify(minimal)],
    ['adsync.config.json', JSON.stringify(minimal)],
    ['package.json', JSON.stringify({ name: 'x', adsync: minimal })],
  ])('finds %s', async (name, text) => {
    const dir = await tempDir();
    await writeFile(join(dir, name), text);
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.filepath).toBe(join(dir, name));
    expect(config.directory).toMatchObject({ urls: ['ldap://127.0.0.1:389'] });
  });

  it('takes the first in the documented order; a package.json without an adsync key is no config', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'x' }));
    await expect(loadConfig({ cwd: dir, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_NOT_FOUND',
      hint: expect.stringContaining('package.json') as string,
    });
    await writeConfig(dir, minimal, 'adsync.config.json');
    await writeConfig(dir, minimal, '.adsyncrc');
    expect((await loadConfig({ cwd: dir, env: {} })).config.filepath).toBe(join(dir, '.adsyncrc'));
    await writeConfig(dir, minimal, 'adsync.yml');
    expect((await loadConfig({ cwd: dir, env: {} })).config.filepath).toBe(join(dir, 'adsync.yml'));
    expect(CONFIG_SEARCH_PLACES.slice(0, 2)).toEqual(['adsync.yaml', 'adsync.yml']);
  });

  it('points at the line of a wrong key in a package.json and of a JSON syntax error', async () => {
    const dir = await tempDir();
    const pkg = { name: 'x', adsync: { ...minimal, target: { profile: 'receptionist', colour: 'red' } } };
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    await expect(loadConfig({ cwd: dir, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/target\.colour \(line 18:7\): unknown key/) as string,
    });
    await writeFile(join(dir, 'adsync.config.json'), '{\n  "directory": {,\n}\n');
    await expect(loadConfig({ cwd: dir, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_SYNTAX',
      message: expect.stringMatching(/^JSON syntax error at .*adsync\.config\.json:2:\d+: /) as string,
    });
  });

  it('never runs a config of code: --config FILE.js is refused, adsync.config.js is not looked for', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'adsync.config.js'), CODE);
    await writeFile(join(dir, '.adsyncrc.cjs'), CODE);
    await expect(loadConfig({ cwd: dir, env: {}, configPath: 'adsync.config.js' })).rejects.toMatchObject({
      code: 'CONFIG_NOT_FOUND',
      exitCode: 2,
      message: 'adsync.config.js is a file of code; adsync reads its config as data only',
    });
    await expect(loadConfig({ cwd: dir, env: {} })).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it("runs no file of the working directory's .config/ (cosmiconfig's meta config did)", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, '.config'));
    await writeFile(join(dir, '.config', 'config.js'), CODE.replace("'ran'", "'..', 'ran'"));
    await writeConfig(dir, 'directory: [\n');
    const run = await runAdsync(['check'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('YAML syntax error');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });
});
