import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { UsageError, describeError } from '../../errors.js';
import {
  startMockServer,
  type MockClient,
  type MockFaults,
  type MockServer,
} from '../../mock-server/server.js';
import type { MockServerCommandOptions } from './options.js';

function parseClient(spec: string, where: string): MockClient {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) {
    throw new UsageError(`${where}: "${spec.slice(0, 40)}" is not ID:SECRET`, {
      hint: 'Give clients as --client adsync:some-long-secret.',
    });
  }
  return { id: spec.slice(0, colon), secret: spec.slice(colon + 1) };
}

/** The API clients from --client and the --clients file; at least one. */
function clientsOf(options: MockServerCommandOptions, cwd: string): MockClient[] {
  const clients = options.client.map((c) => parseClient(c, '--client'));
  if (options.clients) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, options.clients), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --clients ${options.clients}: ${describeError(error)}`);
    }
    for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
      if (line && !line.startsWith('#')) clients.push(parseClient(line, options.clients));
    }
  }
  if (clients.length === 0) {
    throw new UsageError('the mock server needs at least one client', {
      hint: 'Add --client ID:SECRET (for example --client adsync:demo-secret-123) or --clients FILE.',
    });
  }
  return clients;
}

/** The --cert/--key pair as PEM, or undefined for a self-signed one. */
function tlsOf(options: MockServerCommandOptions, cwd: string): { cert: string; key: string } | undefined {
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new UsageError('--cert and --key go together');
  }
  if (options.cert === undefined || options.key === undefined) return undefined;
  try {
    return {
      cert: readFileSync(resolve(cwd, options.cert), 'utf8'),
      key: readFileSync(resolve(cwd, options.key), 'utf8'),
    };
  } catch (error) {
    throw new UsageError(`cannot read the certificate or key: ${describeError(error)}`);
  }
}

/** The faults asked for on the command line (--fail N:STATUS, --retry-after, --drop, --delay). */
function faultsOf(options: MockServerCommandOptions): Partial<MockFaults> {
  let failNext = 0;
  let failStatus = 503;
  if (options.fail) {
    const m = /^(\d+):(\d{3})$/.exec(options.fail);
    if (!m)
      throw new UsageError(`--fail ${options.fail} is not N:STATUS`, {
        hint: 'For example --fail 2:503 or --fail 1:429.',
      });
    failNext = Number(m[1]);
    failStatus = Number(m[2]);
  }
  return {
    failNext,
    failStatus,
    retryAfterSeconds: options.retryAfter,
    dropNext: options.drop,
    delayMs: options.delay,
  };
}

/**
 * Start the bundled mock vendor as `adsync mock-server` describes it.
 * @param options command-line options
 * @param cwd working directory for relative paths
 * @returns the running server, the file holding its certificate, and a stop that also removes
 *   that file when adsync chose where it went
 */
export async function mockServer(
  options: MockServerCommandOptions,
  cwd: string,
): Promise<{ server: MockServer; caFile: string; clients: MockClient[]; stop: () => Promise<void> }> {
  const clients = clientsOf(options, cwd);
  const tls = tlsOf(options, cwd);
  const faults = faultsOf(options);
  const server = await startMockServer({
    host: options.host,
    port: options.port,
    tls,
    clients,
    tokenLifetimeSeconds: options.tokenLifetime,
    sites: options.sites
      ? options.sites
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
    statePath: options.state ? resolve(cwd, options.state) : undefined,
    reset: options.reset,
    faults,
  });
  // Without --ca-out the certificate goes to a private temporary folder that stop() removes, so
  // the mock leaves nothing behind; a --ca-out file is the user's and stays.
  const tmp = options.caOut ? undefined : await mkdtemp(join(tmpdir(), 'adsync-mock-'));
  const caFile = tmp === undefined ? resolve(cwd, options.caOut ?? '') : join(tmp, 'mock-ca.pem');
  const stop = async (): Promise<void> => {
    await server.stop();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  };
  try {
    await writeFile(caFile, server.certificate);
  } catch (error) {
    await stop();
    throw error;
  }
  return { server, caFile, clients, stop };
}
