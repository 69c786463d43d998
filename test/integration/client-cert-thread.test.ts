import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { CERT_SERVICE_DN, startClientCertSlapd, type ClientCertSlapd } from '../harness/client-cert-slapd.js';
import { builtLdapDirectory, readSearch } from '../harness/search-thread.js';

const skip = inject('slapdSkip');

describe.skipIf(skip !== '')(`SASL EXTERNAL in the search thread${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  let server: ClientCertSlapd;
  beforeAll(async () => {
    server = await startClientCertSlapd();
  });
  afterAll(async () => {
    await server.slapd.stop();
  });

  for (const startTLS of [false, true]) {
    it(`the search thread binds with the client certificate too (${startTLS ? 'StartTLS' : 'ldaps://'})`, async () => {
      const { slapd, certs } = server;
      const Directory = await builtLdapDirectory();
      const directory = new Directory({
        urls: [startTLS ? slapd.url : slapd.ldapsUrl],
        auth: { kind: 'external', certFile: certs.mapped.cert, keyFile: certs.mapped.key },
        startTLS,
        caFile: slapd.caFile,
        tlsMinVersion: 'TLSv1.2',
        connectTimeoutMs: 5000,
        timeoutMs: 5000,
        pageSize: 3,
      });
      try {
        const info = await directory.open();
        expect(info.boundAs).toBe(
          `${CERT_SERVICE_DN} (SASL EXTERNAL, client certificate CN=adsync,O=example)`,
        );
        const request = {
          base: 'ou=hq,ou=people,dc=example,dc=com',
          scope: 'sub' as const,
          filter: '(objectClass=inetOrgPerson)',
          attributes: ['uid'],
          bufferAttributes: [],
          location: 'hq',
        };
        const { entries } = await readSearch(directory, request);
        // Paged (3 a page) on the thread's own connection, which made its own EXTERNAL bind.
        expect(directory.threaded).toBe(true);
        expect(entries.length).toBeGreaterThan(3);
      } finally {
        await directory.close();
      }
    });
  }
});
