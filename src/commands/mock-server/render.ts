import type { MockClient } from '../../mock-server/server.js';
import { Lines, type Line, type Style } from '../output.js';

/**
 * The mock vendor is listening: its URL (the data), endpoints and clients.
 * @param style the terminal's emphasis
 * @param url where it listens
 * @param caFile its certificate
 * @param clients the API clients it accepts (only their ids are shown)
 * @param json whether the JSON report is the data instead
 */
export function renderMockServerReady(
  style: Style,
  url: string,
  caFile: string,
  clients: readonly MockClient[],
  json: boolean,
): Line[] {
  const out = new Lines(style);
  if (!json) out.data(url);
  out.info(`mock vendor listening on ${url} (TLS 1.2+; certificate in ${caFile})`);
  out.info(`  token:  ${url}/oauth/token  (also /auth/connect/token)`);
  out.info(`  upload: ${url}/contacts/import (Receptionist), ${url}/addressbook/uploadcsv (iLobby)`);
  out.info(`  look:   GET ${url}/contacts and /uploads with a bearer token`);
  out.info(`  clients: ${clients.map((c) => c.id).join(', ')}. Stop with Ctrl-C.`);
  return out.lines;
}
