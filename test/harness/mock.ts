import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { tempDir } from './files.js';

/**
 * The bundled mock vendor on loopback with one OAuth2 client `adsync`, and its certificate in a
 * temporary file for `target.caFile` (removed with the test file's other temporary folders).
 * @param secret the client's secret
 */
export async function startTrustedMock(secret: string): Promise<{ mock: MockServer; caFile: string }> {
  const mock = await startMockServer({ clients: [{ id: 'adsync', secret }] });
  const caFile = join(await tempDir(), 'mock-ca.pem');
  await writeFile(caFile, mock.certificate);
  return { mock, caFile };
}
