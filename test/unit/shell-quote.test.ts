import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { renderInit } from '../../src/commands/init/render.js';
import { commandLine, shellQuote } from '../../src/util/shell-quote.js';

/** Arguments a printed command may carry: paths with spaces, quotes, shell syntax. */
const HARD = [
  'adsync.yaml',
  'my demo/adsync.yaml',
  "O'Brien's dir/adsync.yaml",
  'a b\\c',
  '$HOME `id` $(id) ; | & > < * ? ~ # !',
  '--allow-archive',
  '',
  'tab\there',
];

describe('shellQuote for sh (every platform but Windows)', () => {
  it('leaves safe arguments bare and single-quotes the rest', () => {
    expect(shellQuote('adsync-demo/adsync.yaml', 'linux')).toBe('adsync-demo/adsync.yaml');
    expect(shellQuote('/etc/adsync/a.yaml', 'darwin')).toBe('/etc/adsync/a.yaml');
    expect(shellQuote('my demo/adsync.yaml', 'linux')).toBe("'my demo/adsync.yaml'");
    expect(shellQuote("it's", 'linux')).toBe("'it'\\''s'");
    expect(shellQuote('a\\b', 'linux')).toBe("'a\\b'");
    expect(shellQuote('', 'linux')).toBe("''");
    expect(commandLine('adsync', ['push', '--config', 'my demo/a.yaml'], 'linux')).toBe(
      "adsync push --config 'my demo/a.yaml'",
    );
  });

  it.skipIf(process.platform === 'win32')('sh reads every argument back unchanged', () => {
    const line = commandLine('printf', ['%s\\n', ...HARD], 'linux');
    const run = spawnSync('sh', ['-c', line], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(HARD.map((arg) => `${arg}\n`).join(''));
  });
});

describe('shellQuote for cmd and PowerShell (Windows)', () => {
  it('leaves safe paths bare (backslashes included) and double-quotes the rest', () => {
    expect(shellQuote('C:\\adsync\\adsync.yaml', 'win32')).toBe('C:\\adsync\\adsync.yaml');
    expect(shellQuote('C:\\t\\my demo\\adsync.yaml', 'win32')).toBe('"C:\\t\\my demo\\adsync.yaml"');
    // A backslash before the closing quote would escape it: doubled.
    expect(shellQuote('C:\\my dir\\', 'win32')).toBe('"C:\\my dir\\\\"');
    expect(shellQuote('say "hi"', 'win32')).toBe('"say \\"hi\\""');
    expect(shellQuote("O'Brien", 'win32')).toBe('"O\'Brien"');
    expect(shellQuote('50%', 'win32')).toBe('"50%"');
    expect(shellQuote('a,b', 'win32')).toBe('"a,b"');
    expect(shellQuote('', 'win32')).toBe('""');
  });

  it('single-quotes an argument with $ or a backtick, which PowerShell expands inside double quotes', () => {
    expect(shellQuote('C:\\Users\\me\\$work\\adsync.yaml', 'win32')).toBe(
      "'C:\\Users\\me\\$work\\adsync.yaml'",
    );
    expect(shellQuote("\\\\srv\\c$\\Bob's", 'win32')).toBe("'\\\\srv\\c$\\Bob''s'");
    expect(shellQuote('a`b c', 'win32')).toBe("'a`b c'");
  });

  it('puts the call operator before a quoted program only', () => {
    expect(commandLine('adsync', ['push', '--config', 'C:\\t\\my demo\\adsync.yaml'], 'win32')).toBe(
      'adsync push --config "C:\\t\\my demo\\adsync.yaml"',
    );
    expect(commandLine('C:\\Program Files\\adsync\\adsync.exe', ['check'], 'win32')).toBe(
      '& "C:\\Program Files\\adsync\\adsync.exe" check',
    );
    expect(commandLine('/opt/my tools/adsync', ['check'], 'linux')).toBe("'/opt/my tools/adsync' check");
  });

  it.skipIf(process.platform !== 'win32')('cmd passes every argument to Node unchanged', () => {
    // An argument with $ or a backtick is single-quoted for PowerShell, which cmd does not read.
    const args = HARD.filter((arg) => (!/[%!^&|<>]/.test(arg) || /\s/.test(arg)) && !/[$`]/.test(arg));
    const script = 'process.stdout.write(JSON.stringify(process.argv.slice(1)))';
    const line = commandLine(process.execPath, ['-e', script, ...args], 'win32').replace(/^& /, '');
    const run = spawnSync(line, { shell: true, encoding: 'utf8' });
    expect(JSON.parse(run.stdout)).toEqual(args);
  });
});

describe("init's next command", () => {
  const next = (given: string, platform: NodeJS.Platform): string | undefined =>
    renderInit('/abs/x.yaml', true, given, platform)[0]?.text;

  it('names the file only when check would not find it, quoted for the shell', () => {
    expect(next('adsync.yaml', 'linux')).toContain('`adsync check`');
    expect(next('./adsync.yaml', 'linux')).toContain('`adsync check`');
    expect(next('ADSYNC.YAML', 'linux')).toContain('`adsync check --config ADSYNC.YAML`');
    expect(next('my dir/a.yaml', 'linux')).toContain("`adsync check --config 'my dir/a.yaml'`");
    expect(next('.\\ADSYNC.YAML', 'win32')).toContain('`adsync check`');
    expect(next('C:\\t\\my demo\\a.yaml', 'win32')).toContain(
      '`adsync check --config "C:\\t\\my demo\\a.yaml"`',
    );
  });
});
