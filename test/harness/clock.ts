import { writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { generate } from 'selfsigned';
import { afterAll, beforeAll } from 'vitest';

import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { BIN, runProgram, startAdsync, type CliProcess, type CliRun } from './cli.js';
import { tempDir } from './files.js';
import { systemTool } from './tools.js';

/**
 * Whether libfaketime's `faketime` runs here (.ci/run installs it; on CI a missing one fails).
 */
export const hasFaketime = (): boolean =>
  systemTool('faketime', ['-f', '+0', 'true'], 'Debian: apt-get install faketime');

/**
 * Run the real CLI with its clock moved by libfaketime (`faketime -f`), as after an NTP step or
 * an admin setting the time: only that process sees the moved clock.
 * @param offset faketime's offset, e.g. `+3h`, `-1d`
 * @param args arguments after the program
 * @param options working directory and extra environment
 * @param options.cwd working directory (also HOME)
 * @param options.env extra environment
 */
export function runAdsyncAt(
  offset: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliRun> {
  return runProgram('faketime', ['-f', offset, process.execPath, BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: options.cwd, ...options.env },
  });
}

/**
 * The mock vendor with a certificate valid since three days ago, so a run whose clock is set
 * back (up to that) still trusts it.
 * @param secret the `adsync` client's secret
 */
async function startBackdatedMock(secret: string): Promise<{ mock: MockServer; caFile: string }> {
  const pems = await generate([{ name: 'commonName', value: 'adsync mock vendor' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3 * 24 * 60 * 60 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const mock = await startMockServer({
    tls: { cert: pems.cert, key: pems.private },
    clients: [{ id: 'adsync', secret }],
  });
  const caFile = join(await tempDir(), 'mock-ca.pem');
  await writeFile(caFile, mock.certificate);
  return { mock, caFile };
}

/**
 * A TCP server that accepts connections and never answers: a directory that hangs, so a run
 * stays in its directory read (lock held, CSV being written) until it is stopped.
 */
async function startSilentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ldap://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * Poll for something a run does (a file appearing, a lock refreshed) until it holds, with a
 * bound: an event, not a guessed delay.
 * @param what named in the error when it never holds
 * @param check the condition
 * @param timeoutMs the bound
 */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The servers of a suite whose runs move their clocks or hang: see {@link useClockServers}. */
export interface ClockServers {
  /** The mock vendor (certificate valid since three days ago). */
  readonly mock: MockServer;
  /** Its certificate, for `target.caFile`. */
  readonly caFile: string;
  /** Directory settings of a server that never answers (a run hangs in its read). */
  hanging: () => Record<string, unknown>;
  /** Start the CLI, killed after the suite if it is still running. */
  start: (args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) => CliProcess;
}

/**
 * Start the backdated mock vendor and a silent directory before the suite's tests; after them,
 * kill the runs still going and stop both (call it in a `describe` body).
 * @param secret the mock client's secret
 */
export function useClockServers(secret: string): ClockServers {
  let trusted: { mock: MockServer; caFile: string } | undefined;
  let silent: Awaited<ReturnType<typeof startSilentServer>> | undefined;
  const started: CliProcess[] = [];
  beforeAll(async () => {
    trusted = await startBackdatedMock(secret);
    silent = await startSilentServer();
  });
  afterAll(async () => {
    for (const run of started) run.kill();
    await Promise.all(started.map((r) => r.done));
    await silent?.close();
    await trusted?.mock.stop();
  });
  const up = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the servers are not started: use them inside a test');
    return value;
  };
  return {
    get mock() {
      return up(trusted).mock;
    },
    get caFile() {
      return up(trusted).caFile;
    },
    hanging: () => ({ url: up(silent).url, connectTimeoutSeconds: 300, timeoutSeconds: 300 }),
    start: (args, options) => {
      const run = startAdsync(args, options);
      started.push(run);
      return run;
    },
  };
}
