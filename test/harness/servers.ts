import { afterAll, beforeAll } from 'vitest';

import type { MockServer } from '../../src/mock-server/server.js';
import { startTrustedMock } from './mock.js';
import { startExampleSlapd, type Slapd } from './slapd.js';

/** The example directory in slapd and the mock vendor over TLS, for one suite. */
export interface ExampleServers {
  /** slapd holding test/fixtures/example.ldif. */
  readonly slapd: Slapd;
  /** The mock vendor with one OAuth2 client `adsync`. */
  readonly mock: MockServer;
  /** The mock's certificate, for `target.caFile`. */
  readonly caFile: string;
}

/**
 * Start slapd with the example directory and the mock vendor before the suite's tests and stop
 * both after them (call it in a `describe` body). The servers are read through the returned
 * object's getters, which fail loudly if a test runs before they are up.
 * @param secret the mock client's secret
 */
export function useExampleServers(secret: string): ExampleServers {
  let slapd: Slapd | undefined;
  let trusted: { mock: MockServer; caFile: string } | undefined;
  beforeAll(async () => {
    slapd = await startExampleSlapd();
    trusted = await startTrustedMock(secret);
  });
  afterAll(async () => {
    await trusted?.mock.stop();
    await slapd?.stop();
  });
  const up = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started: use it inside a test`);
    return value;
  };
  return {
    get slapd() {
      return up(slapd, 'slapd');
    },
    get mock() {
      return up(trusted, 'the mock vendor').mock;
    },
    get caFile() {
      return up(trusted, 'the mock vendor').caFile;
    },
  };
}
