import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { compileLayout } from '../../src/vendors/registry.js';
import { LineBuffer } from '../../src/io/line-buffer.js';
import { identityOf, rowHash, type CurrentRow, type StoredContact } from '../../src/plan/identity.js';
import { Planner, PreviousIndex } from '../../src/plan/planner.js';
import { openLastPush, stateContactLine, writeLastPush, type LastPush } from '../../src/state/baseline.js';
import { PlanFileWriter } from '../../src/state/plan-file.js';
import { computePlan, memoryStores } from '../harness/oracles/plan.js';
import { tempDir } from '../harness/files.js';

const layout = compileLayout({ profile: 'receptionist', kind: 'ldap' }).set;
// First, Last, Email, SMS, Title, Dept, Image, PIN, Location, Identification, Slack
const row = (n: number, location: string, title = ''): CurrentRow => ({
  cells: [`F${n}`, `L${n}`, `p${n}@x.org`, '', title, '', '', '', location, `id${n}`, ''],
  location,
});

/** A state file as releases before format 2 wrote it: one JSON object with every row. */
function formatOne(rows: CurrentRow[]): LastPush {
  return {
    version: 1,
    time: '2026-01-01T00:00:00.000Z',
    csvSha256: 'abc',
    headers: layout.headers,
    rows: { hq: rows.length },
    searches: { 'hq | ou=hq': rows.length },
    contacts: Object.fromEntries(
      rows.map((r) => [
        identityOf(layout, r),
        { location: r.location, hash: rowHash(r.cells), cells: r.cells },
      ]),
    ),
  };
}

/** Plan this run's rows against a state file through the streaming planner, as a push does. */
async function planFromFile(path: string, now: CurrentRow[], sample = Infinity) {
  const previous = await openLastPush(path);
  if (!previous) throw new Error('no state');
  const index = new PreviousIndex(layout);
  for await (const c of previous.contacts()) index.add(c);
  const planner = new Planner(layout, index, { sample, stores: memoryStores() });
  for (const r of now) planner.add(r);
  return { previous, plan: await planner.finish(previous.contacts()) };
}

/** Save a state of `total` hq contacts from a file of contact lines, and read its contacts back. */
async function throughState(
  dir: string,
  headers: readonly string[],
  contacts: string,
  total: number,
): Promise<StoredContact[]> {
  const path = join(dir, 'state.json');
  const header = {
    time: 't',
    csvSha256: 'x',
    headers: [...headers],
    rows: { hq: total },
    searches: {},
    total,
  };
  await writeLastPush(path, header, contacts, new Set());
  const read: StoredContact[] = [];
  for await (const c of (await openLastPush(path))?.contacts() ?? []) read.push(c);
  return read;
}

describe('state file', () => {
  const before = Array.from({ length: 12 }, (_, i) => row(i, 'hq'));
  const now = [...before.slice(0, 10).map((r, i) => (i === 3 ? row(3, 'hq', 'Boss') : r)), row(20, 'hq')];

  it('reads the format of earlier releases and plans against it as before', async () => {
    const path = join(await tempDir(), 'state.json');
    await writeFile(path, `${JSON.stringify(formatOne(before))}\n`);
    const { previous, plan } = await planFromFile(path, now);
    expect(previous).toMatchObject({ format: 1, count: 12, searches: { 'hq | ou=hq': 12 } });
    expect(plan).toEqual(await computePlan(layout, formatOne(before), now, []));
    expect(plan.totals).toEqual({ create: 1, update: 1, archive: 2, rename: 0 });
    expect(plan.update[0]?.columns).toEqual(['Business Title']);
  });

  it('reads a format 1 state with the SHA-256 row hashes the previous version wrote: same rows, no change', async () => {
    const path = join(await tempDir(), 'state.json');
    const legacy = formatOne(before);
    for (const contact of Object.values(legacy.contacts))
      contact.hash = createHash('sha256').update(contact.cells.join('\u001f')).digest('hex').slice(0, 32);
    await writeFile(path, `${JSON.stringify(legacy)}\n`);
    const { plan } = await planFromFile(path, before);
    expect(plan.totals).toEqual({ create: 0, update: 0, archive: 0, rename: 0 });
    expect(plan.unchanged).toBe(12);
  });

  it('writes format 2 (a summary line, then one line per contact), leaving out refused rows', async () => {
    const dir = await tempDir();
    const contacts = join(dir, 'contacts');
    await writeFile(
      contacts,
      before.map((r) => `${stateContactLine(identityOf(layout, r), r.location, r.cells)}\n`).join(''),
    );
    const path = join(dir, 'state.json');
    const header = {
      time: '2026-02-01T00:00:00.000Z',
      csvSha256: 'def',
      headers: layout.headers,
      rows: { hq: 12 },
      searches: { 'hq | ou=hq': 12 },
      total: 12,
    };
    await writeLastPush(path, header, contacts, new Set([11]));
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ version: 2, contacts: 11 });
    // The same plan as against the equivalent earlier-format state (the refused row is not there).
    const { previous, plan } = await planFromFile(path, now);
    expect(previous).toMatchObject({ format: 2, count: 11, csvSha256: 'def' });
    expect(plan).toEqual(await computePlan(layout, formatOne(before.slice(0, 11)), now, []));
    // A contact list that does not match the CSV's row count is refused, and the state is kept:
    // a damaged file read back (STATE_DAMAGED), not a failure to write the state.
    await expect(writeLastPush(path, { ...header, total: 13 }, contacts, new Set())).rejects.toMatchObject({
      code: 'STATE_DAMAGED',
      message: `this run's contact list ${contacts} is damaged: it has 12 rows where the CSV sent has 13`,
    });
    await expect(
      writeLastPush(path, { ...header, total: 12 }, join(dir, 'gone'), new Set()),
    ).rejects.toMatchObject({ code: 'STATE_DAMAGED', message: /cannot read this run's contact list .*gone/ });
    expect((await openLastPush(path))?.count).toBe(11);
  });

  it("keeps each contact's directory identity as a fifth element; lines without it (earlier releases) still read", async () => {
    const noId = compileLayout({
      profile: 'receptionist',
      kind: 'ldap',
      columns: { Identification: '' },
    }).set;
    const person = (n: number, domain: string): CurrentRow => ({
      cells: [`F${n}`, `L${n}`, `p${n}@${domain}`, '', '', '', '', '', 'hq', '', ''],
      location: 'hq',
      dn: `uid=p${n},ou=people`,
      id: `guid-${n}`,
    });
    const dir = await tempDir();
    const contacts = join(dir, 'contacts');
    // p0 and p1 pushed by this release (with the id), p2 by an earlier one (four elements).
    const line = (r: CurrentRow, id?: string): string =>
      `${stateContactLine(identityOf(noId, r), r.location, r.cells, id)}\n`;
    const old = [0, 1, 2].map((n) => person(n, 'old.example'));
    await writeFile(contacts, old.map((r, n) => line(r, n < 2 ? r.id : undefined)).join(''));
    expect(JSON.parse((await readFile(contacts, 'utf8')).split('\n')[2] ?? '')).toHaveLength(4);
    const read = await throughState(dir, noId.headers, contacts, 3);
    expect(read.map((c) => c.id)).toEqual(['guid-0', 'guid-1', undefined]);
    // Everyone changes domain: only the contacts whose identity was kept are renames.
    const index = new PreviousIndex(noId);
    for (const c of read) index.add(c);
    const planner = new Planner(noId, index, { stores: memoryStores() });
    for (const n of [0, 1, 2]) planner.add(person(n, 'new.example'));
    const plan = await planner.finish(read);
    expect(plan.totals).toEqual({ create: 3, update: 0, archive: 3, rename: 2 });
    expect(plan.renames.map((r) => `${r.from} → ${r.to}`)).toEqual([
      'p0@old.example → p0@new.example',
      'p1@old.example → p1@new.example',
    ]);
  });

  it('keeps the source of an extraContacts contact as a sixth element, after a null identity, and plans its archive with it', async () => {
    const dir = await tempDir();
    const contacts = join(dir, 'contacts');
    const cells = (n: number): string[] => [
      `F${n}`,
      `L${n}`,
      `c${n}@contractor.example`,
      '',
      '',
      '',
      '',
      '',
      'hq',
      '',
      '',
    ];
    const keyOf = (n: number): string => identityOf(layout, { cells: cells(n), location: 'hq' });
    const lines = [
      stateContactLine(keyOf(0), 'hq', cells(0), undefined, 'contractors.csv line 2'),
      stateContactLine(keyOf(1), 'hq', cells(1), 'guid-1', 'desk.csv line 7'),
      stateContactLine(keyOf(2), 'hq', cells(2), 'guid-2'),
      stateContactLine(keyOf(3), 'hq', cells(3)),
    ];
    expect(lines.map((l) => (JSON.parse(l) as unknown[]).slice(4))).toEqual([
      [null, 'contractors.csv line 2'],
      ['guid-1', 'desk.csv line 7'],
      ['guid-2'],
      [],
    ]);
    await writeFile(contacts, lines.map((l) => `${l}\n`).join(''));
    const read = await throughState(dir, layout.headers, contacts, 4);
    expect(read.map((c) => [c.id, c.source])).toEqual([
      [undefined, 'contractors.csv line 2'],
      ['guid-1', 'desk.csv line 7'],
      ['guid-2', undefined],
      [undefined, undefined],
    ]);
    // Nobody is in this push: each archive carries the source its contact was pushed from.
    const index = new PreviousIndex(layout);
    for (const c of read) index.add(c);
    const plan = await new Planner(layout, index, { stores: memoryStores() }).finish(read);
    expect(plan.archive.map((a) => a.source)).toEqual([
      'contractors.csv line 2',
      'desk.csv line 7',
      undefined,
      undefined,
    ]);
  });

  it('says a damaged or truncated state is damaged', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'bad.json'), '{"version":2,');
    await expect(openLastPush(join(dir, 'bad.json'))).rejects.toThrow(/damaged/);
    // A header of the wrong shape is damaged too, not "no baseline" and not a bug.
    await writeFile(join(dir, 'shape.json'), `${JSON.stringify({ version: 2, contacts: 3 })}\n`);
    await expect(openLastPush(join(dir, 'shape.json'))).rejects.toThrow(/damaged/);
    await writeFile(
      join(dir, 'short.json'),
      `${JSON.stringify({ version: 2, time: '2026-01-01T00:00:00.000Z', csvSha256: 'x', headers: [], rows: {}, searches: {}, contacts: 3 })}\n["k","hq","h",[]]\n`,
    );
    const short = await openLastPush(join(dir, 'short.json'));
    const read = async (): Promise<number> => {
      let n = 0;
      for await (const c of short?.contacts() ?? []) n += c.cells.length;
      return n;
    };
    await expect(read()).rejects.toThrow(/damaged/);
    expect(await openLastPush(join(dir, 'none.json'))).toBeUndefined();
  });

  it('tells a state cut inside a line from one with a line that is not JSON', async () => {
    const dir = await tempDir();
    const header = `${JSON.stringify({ version: 2, time: '2026-01-01T00:00:00.000Z', csvSha256: 'x', headers: [], rows: {}, searches: {}, contacts: 3 })}\n`;
    const count = async (file: string): Promise<number> => {
      let n = 0;
      for await (const c of (await openLastPush(join(dir, file)))?.contacts() ?? []) n += c.cells.length;
      return n;
    };
    await writeFile(join(dir, 'cut.json'), `${header}["a","hq","h",[]]\n["b","hq","h",[]]\n["c","h`);
    await expect(count('cut.json')).rejects.toMatchObject({
      code: 'STATE_DAMAGED',
      message: `the state file ${join(dir, 'cut.json')} is damaged (cut short: it ends inside line 4, after 2 of the 3 contacts its summary counts), so the last good push is not known`,
    });
    await writeFile(join(dir, 'garbled.json'), `${header}["a","hq","h",[]]\n{oops\n["c","hq","h",[]]\n`);
    await expect(count('garbled.json')).rejects.toMatchObject({
      code: 'STATE_DAMAGED',
      message: /damaged \(line 3 is not JSON\)/,
    });
  });

  it('streams a long plan to the plan file and keeps only the first entries in memory', async () => {
    const dir = await tempDir();
    const path = join(dir, 'state.json');
    await writeFile(path, `${JSON.stringify(formatOne(before))}\n`);
    const previous = await openLastPush(path);
    const index = new PreviousIndex(layout);
    for await (const c of previous?.contacts() ?? []) index.add(c);
    const planPath = join(dir, 'plan.json');
    const file = await PlanFileWriter.create(planPath, false);
    const stores = {
      create: file,
      pendingUpdate: new LineBuffer(join(dir, 'pending')),
      update: new LineBuffer(join(dir, 'update')),
      archive: new LineBuffer(join(dir, 'archive')),
      pendingRename: new LineBuffer(join(dir, 'pending-renames')),
      rename: new LineBuffer(join(dir, 'renames')),
    };
    const planner = new Planner(layout, index, { sample: 1, stores });
    const run = [...now, row(21, 'hq'), row(22, 'hq')];
    for (const r of run) planner.add(r);
    await stores.pendingUpdate.close();
    await stores.pendingRename.close();
    const plan = await planner.finish(previous?.contacts());
    await stores.update.close();
    await stores.archive.close();
    await stores.rename.close();
    await file.finish(plan, stores.update, stores.archive, stores.rename);
    const full = await computePlan(layout, formatOne(before), run, []);
    expect(plan.totals).toEqual(full.totals);
    expect(plan.create).toEqual(full.create.slice(0, 1));
    expect(plan.archive).toEqual(full.archive.slice(0, 1));
    expect(JSON.parse(await readFile(planPath, 'utf8'))).toEqual(full);
  });
});
