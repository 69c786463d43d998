import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  bundledFilePath,
  isSingleExecutable,
  listBundledFiles,
  readBundledFile,
  readBundledText,
} from '../../src/runtime/assets.js';

// Outside a SEA the helper reads the package directory; inside one, SEA assets under the same
// names (test/e2e/package.test.ts runs the executable).
describe('bundled files outside a single executable', () => {
  it('reads package files by their package-relative path', () => {
    expect(isSingleExecutable()).toBe(false);
    const pkg = JSON.parse(readBundledText('package.json')) as { name: string };
    expect(pkg.name).toBe('adsync');
    expect(readBundledFile('config.example.yaml').toString('utf8')).toContain('directory:');
  });

  it('lists a directory recursively with forward slashes, and an absent one as empty', () => {
    expect(listBundledFiles('src/runtime')).toContain('src/runtime/assets.ts');
    expect(listBundledFiles('test/unit/')).toContain('test/unit/assets.test.ts');
    expect(listBundledFiles('examples/no-such-dir')).toEqual([]);
  });

  it('gives a real path for code that opens files itself', () => {
    const path = bundledFilePath('package.json');
    expect(isAbsolute(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(readBundledText('package.json'));
  });

  it('a missing file is ENOENT in every function', () => {
    for (const f of [readBundledFile, readBundledText, bundledFilePath]) {
      expect(() => f('examples/demo/no-such-file.ldif')).toThrow(
        expect.objectContaining({
          code: 'ENOENT',
          message: expect.stringContaining(
            'bundled file examples/demo/no-such-file.ldif is missing',
          ) as string,
        }),
      );
    }
  });

  it('refuses names that are not package-relative (no escaping the package, no OS separators)', () => {
    for (const bad of [
      '',
      '/etc/passwd',
      '../package.json',
      'a/../package.json',
      './package.json',
      'a\\b',
      'C:/x',
      'a//b',
    ]) {
      expect(() => readBundledFile(bad), bad).toThrow(TypeError);
    }
    expect(() => listBundledFiles('..')).toThrow(TypeError);
  });
});
