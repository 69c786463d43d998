import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { exampleConfig, pushConfig } from '../harness/example-config.js';
import { BIN, runAdsync, runProgram, startAdsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { systemTool } from '../harness/tools.js';
import { watchdogEnding } from '../../src/cli/watchdog.js';

/** util-linux `script`, which gives a command a real pseudo-terminal. */
const hasScript = systemTool('script', ['--version'], 'Debian: apt-get install bsdutils');

/**
 * A TCP server that accepts connections and never says anything: a hung directory server.
 * @param onConnection called on each connection (a run now waits for its answer)
 */
async function silentServer(
  onConnection: () => void = () => undefined,
): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ldap://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

/** A silent server, closed after the file, and a promise of the first connection to it. */
async function hungDirectory(): Promise<{ url: string; connected: Promise<void> }> {
  let connected = (): void => undefined;
  const first = new Promise<void>((resolve) => (connected = resolve));
  const hung = await silentServer(() => {
    connected();
  });
  closers.push(hung.close);
  return { url: hung.url, connected: first };
}

/** The file the harness loads into slapd, read as an LDIF export. */
const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));

describe('the terminal and the time limit', () => {
  it.runIf(hasScript)(
    'finishes the demo in a terminal of 0 columns and 0 rows, without a spinner',
    async () => {
      const cwd = await tempDir();
      // `script` gives adsync a pseudo-terminal, which `stty` shrinks to nothing, as `ssh -t`
      // from a non-terminal does.
      const command = `stty cols 0 rows 0; exec ${process.execPath} ${BIN} demo --dir try-it`;
      const run = await runProgram('script', ['-qec', command, '/dev/null'], {
        cwd,
        env: { PATH: process.env.PATH, HOME: cwd, TERM: 'xterm' },
        timeout: 90_000,
      });
      const out = run.stdout + run.stderr;
      expect(run.code).toBe(0);
      expect(out).toContain('Step 6/6');
      // The spinner would have erased lines forever: ESC[1A ESC[0K without end.
      expect(out).not.toContain('\u001b[1A\u001b[0K\u001b[1A\u001b[0K');
      expect(out.length).toBeLessThan(100_000);
    },
    120_000,
  );

  it('ends a run whose main thread is stuck, soon after its time limit, and says with which exit code', async () => {
    const cwd = await tempDir();
    const hung = await hungDirectory();
    const config = exampleConfig();
    await writeConfig(cwd, { ...config, directory: { ...config.directory, url: hung.url } });
    // Once the run waits for the silent server (its time limit and watchdog armed), the test
    // creates a flag file and the run's main thread, which polls for it, enters an endless
    // synchronous loop (what a terminal library did at 0 columns): no timer, no signal handler
    // of that thread can run again. (A file, not a signal: Windows has none to send.)
    const flag = join(cwd, 'stick');
    const stuck = join(cwd, 'stuck.mjs');
    await writeFile(
      stuck,
      [
        "import { existsSync } from 'node:fs';",
        "import { isMainThread } from 'node:worker_threads';",
        // The watchdog's own thread loads this too, and must stay free.
        `if (isMainThread) setInterval(() => { if (existsSync(${JSON.stringify(flag)})) for (;;) {} }, 50).unref();`,
      ].join('\n'),
    );
    const started = Date.now();
    // A time limit long enough for a loaded machine to reach the server within it.
    const run = startAdsync(['push', '--dry-run', '--timeout', '5s'], {
      cwd,
      env: { TEST_BIND_PASSWORD: 'x', NODE_OPTIONS: `--import=${pathToFileURL(stuck).href}` },
    });
    await hung.connected;
    await writeFile(flag, '');
    const { code, stderr } = await run.done;
    const seconds = (Date.now() - started) / 1000;
    // POSIX: killed by SIGKILL, no exit code; Windows: TerminateProcess with exit code 1.
    expect(code).toBe(process.platform === 'win32' ? 1 : null);
    expect(stderr).toContain('the run did not end within 15 s after its time limit');
    // The message names how the process really ends on this platform, not on the other.
    expect(stderr).toContain(watchdogEnding(process.platform));
    expect(stderr).not.toContain(watchdogEnding(process.platform === 'win32' ? 'linux' : 'win32'));
    expect(seconds).toBeGreaterThan(20);
    expect(seconds).toBeLessThan(50);
  }, 90_000);

  it('a run left waiting on a promise nothing can settle still ends with a message, a report and exit 1', async () => {
    const cwd = await tempDir();
    // A library that drops a callback, in a step a run cannot abandon (the history line).
    const drop = join(cwd, 'drop.mjs');
    await writeFile(
      drop,
      [
        "import fs from 'node:fs';",
        "import { syncBuiltinESMExports } from 'node:module';",
        'const append = fs.promises.appendFile;',
        "fs.promises.appendFile = (path, ...rest) => (String(path).endsWith('runs.jsonl') ? new Promise(() => {}) : append(path, ...rest));",
        'syncBuiltinESMExports();',
      ].join('\n'),
    );
    const config = exampleConfig();
    await writeConfig(cwd, {
      ...config,
      directory: { kind: 'ldif', file: EXAMPLE_LDIF, baseDN: config.directory.baseDN },
    });
    const run = await runAdsync(['push', '--dry-run', '--json', '--timeout', '2s'], {
      cwd,
      env: { NODE_OPTIONS: `--import=${pathToFileURL(drop).href}` },
    });
    // Without the safety net Node would exit 13 ("unsettled top-level await") in silence.
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the command stopped making progress and could not be ended normally');
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'error',
      exitCode: 1,
      error: { code: 'INTERNAL' },
    });
  }, 30_000);
});

// Windows cannot send a signal to another process (process.kill there ends it at once), so the
// stops are sent from a POSIX test; Ctrl-Break (SIGBREAK) exists only on Windows.
describe.skipIf(process.platform === 'win32')('stop signals', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    '%s stops a push safely: exit 1, RUN_INTERRUPTED, the lock released',
    async (signal) => {
      const cwd = await tempDir();
      const hung = await hungDirectory();
      // The directory never answers: the run holds its lock, waiting, until the signal.
      const config = pushConfig({ ldapUrl: hung.url, mockUrl: 'https://127.0.0.1:1', caFile: '' });
      await writeConfig(cwd, { ...config, target: { ...config.target, caFile: undefined } });
      const run = startAdsync(['push', '--json'], {
        cwd,
        env: { TEST_BIND_PASSWORD: 'x', ADSYNC_CLIENT_SECRET: 'client-secret-0123456789' },
      });
      await hung.connected;
      const stateDir = join(cwd, 'adsync-state');
      const locks = async (): Promise<string[]> =>
        (await readdir(stateDir)).filter((n) => n.endsWith('.lock'));
      expect(await locks()).toHaveLength(1);
      run.kill(signal);
      const { code, stdout, stderr } = await run.done;
      expect(code, stderr).toBe(1);
      expect(stderr).toContain(`stopping the run safely, as asked by ${signal}`);
      expect(stderr).toContain(`the run was stopped by ${signal}`);
      expect(JSON.parse(stdout)).toMatchObject({ status: 'error', error: { code: 'RUN_INTERRUPTED' } });
      expect(await locks()).toEqual([]);
    },
    60_000,
  );
});
