/**
 * The reference pipeline of the benchmark: ldapts `searchPaginated` piped into csv-stringify,
 * the same searches and attributes as adsync, no mapping, validation, sorting or plan. It shows
 * what Node.js and ldapts alone cost on this machine.
 *
 * node scripts/bench/straight.ts URL BIND_DN PASSWORD OUT.csv PAGE_SIZE BASE… -- ATTRIBUTE…
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

import { stringify } from 'csv-stringify';
import { Client } from 'ldapts';

const [url, bindDN, password, out, pageSize, ...rest] = process.argv.slice(2);
const split = rest.indexOf('--');
const bases = rest.slice(0, split);
const attributes = rest.slice(split + 1);
if (!url || !bindDN || password === undefined || !out || split < 0) {
  throw new Error('usage: straight.ts URL BIND_DN PASSWORD OUT PAGE_SIZE BASE… -- ATTRIBUTE…');
}
const client = new Client({ url });
await client.bind(bindDN, password);
const csv = stringify({ record_delimiter: 'windows' });
const file = createWriteStream(out);
csv.pipe(file);
for (const base of bases) {
  for await (const page of client.searchPaginated(base, {
    scope: 'sub',
    filter: '(objectClass=inetOrgPerson)',
    attributes,
    paged: { pageSize: Number(pageSize) },
  })) {
    for (const entry of page.searchEntries) {
      const row = attributes.map((a) => {
        const v = entry[a];
        const first = Array.isArray(v) ? v[0] : v;
        return first === undefined ? '' : first.toString();
      });
      if (!csv.write(row)) await once(csv, 'drain');
    }
  }
}
csv.end();
await once(file, 'finish');
await client.unbind();
