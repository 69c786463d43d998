import { describe, expect, it } from 'vitest';

import { isLoopbackHost } from '../../src/util/loopback.js';

describe('isLoopbackHost', () => {
  it('accepts every spelling of this machine a URL can carry', () => {
    for (const host of [
      'localhost',
      'LOCALHOST',
      'localhost.',
      'a.localhost',
      '127.0.0.1',
      '127.8.9.10',
      '[::1]',
      '::1',
      '[0:0:0:0:0:0:0:1]',
      '::ffff:127.0.0.1',
    ])
      expect(isLoopbackHost(host), host).toBe(true);
  });
  it('refuses other hosts, including look-alikes', () => {
    for (const host of [
      'example.com',
      '127.example.com',
      'localhost.example.com',
      '10.0.0.1',
      '128.0.0.1',
      '[::2]',
      '::',
      '0.0.0.0',
      '1127.0.0.1',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});
