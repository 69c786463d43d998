import type { ResolvedConfig } from '../../config/types.js';
import { normalizeDn } from '../../directory/dn.js';
import type { ConnectionInfo } from '../../directory/types.js';
import {
  exportContacts,
  plannedReject,
  type ExportEvent,
  type ExportWarning,
  type ExportWatch,
} from '../../pipeline/export.js';
import { identityOf, type CurrentRow, type StoredContact } from '../../plan/identity.js';
import {
  Planner,
  PreviousIndex,
  type EntryStore,
  type Plan,
  type PlannedContact,
  type PlannedRename,
} from '../../plan/planner.js';
import type { PreviousPush } from '../../state/baseline.js';

/** What the export did with one person's row in one location. */
export interface RowFate {
  /** valid: sent; rejected: broke a rule; duplicate: repeats another row's unique value; one-site: iLobby sends it for another location. */
  verdict: 'valid' | 'rejected' | 'duplicate' | 'one-site';
  /** The row as mapped. */
  cells: string[];
  /** Why it is not sent (empty when valid). */
  reasons: string[];
  /** For a duplicate: each repeated column, its value and the DN of the entry that keeps it. */
  duplicateOf?: { column: string; value: string; dn: string }[];
  /** For one-site: the location that sends the email. */
  keptBy?: string;
  /** For a valid row: its entry's directory identity (finds the contact a rename replaces). */
  id?: string;
}

/** What the export and the plan say about the people asked about. */
export interface Fates {
  /** Per person (normalised DN), per location slug. */
  rows: Map<string, Map<string, RowFate>>;
  /** The plan's entries about them (every other contact is counted, not kept). */
  plan: Pick<Plan, 'create' | 'update' | 'archive' | 'renames' | 'firstPush'>;
  /** The export's warnings about them. */
  warnings: ExportWarning[];
  /** The server that answered. */
  connection: ConnectionInfo;
}

/** A plan list that keeps only the entries of the wanted identities. */
class WantedStore implements EntryStore {
  public readonly kept: PlannedContact[] = [];

  public constructor(private readonly keys: ReadonlySet<string>) {}

  public add(line: string): void {
    const entry = JSON.parse(line) as PlannedContact;
    if (this.keys.has(entry.key)) this.kept.push(entry);
  }

  public lines(): string[] {
    return this.kept.map((e) => JSON.stringify(e));
  }
}

/** Every line, in order (renames: few, and the planner reads them back by position). */
class AllLines implements EntryStore {
  private readonly kept: string[] = [];

  public add(line: string): void {
    this.kept.push(line);
  }

  public lines(): string[] {
    return this.kept;
  }
}

/**
 * The updates waiting for their old values: the planner reads them back by position, so every
 * position answers, but only the wanted ones hold their row (the rest a small placeholder).
 */
class PendingUpdates implements EntryStore {
  private count = 0;
  private readonly kept = new Map<number, string>();
  private static readonly PLACEHOLDER = JSON.stringify({ key: '', location: '', name: '', cells: [] });

  public constructor(private readonly keys: ReadonlySet<string>) {}

  public add(line: string): void {
    if (this.keys.has((JSON.parse(line) as { key: string }).key)) this.kept.set(this.count, line);
    this.count++;
  }

  public *lines(): Iterable<string> {
    for (let i = 0; i < this.count; i++) yield this.kept.get(i) ?? PendingUpdates.PLACEHOLDER;
  }
}

/** A DN in the form the people asked about are kept by. */
export const dnKey = (dn: string): string => normalizeDn(dn) ?? dn.toLowerCase();

/**
 * Run the export exactly as push runs it (every location, every rule) and plan it against the
 * last good push, keeping only what concerns the wanted people: their rows' fates, and the plan
 * entries of their identities. Nothing is written but the export's temporary work files.
 * @param config the resolved config
 * @param wanted normalised DNs of the people
 * @param keys their identities (per location), from their mapped rows; grown by the rows sent
 * @param previous the last good push, if any
 * @param options progress and stop signal
 * @param options.onEvent progress callback
 * @param options.signal stops the export
 */
export async function exportFates(
  config: ResolvedConfig,
  wanted: ReadonlySet<string>,
  keys: Set<string>,
  previous: PreviousPush | undefined,
  options: {
    onEvent?: ((event: ExportEvent) => void) | undefined;
    signal?: AbortSignal | undefined;
    /** Also keep the renames away from these old values (lower case): a contact asked after by its old email. */
    renamesFrom?: ReadonlySet<string>;
  },
): Promise<Fates> {
  const layout = config.layout;
  let index: PreviousIndex | undefined;
  if (previous) {
    index = new PreviousIndex(layout);
    for await (const contact of previous.contacts()) index.add(contact);
  }
  const stores = {
    create: new WantedStore(keys),
    pendingUpdate: new PendingUpdates(keys),
    update: new WantedStore(keys),
    archive: new WantedStore(keys),
    // Read back by position in finish, so every pending rename is kept (renames are few); the
    // finished ones of the wanted people are shown.
    pendingRename: new AllLines(),
    rename: new AllLines(),
  };
  const planner = new Planner(layout, index, { sample: 0, stores });
  const book = new FateBook(layout, wanted, keys);
  const result = await exportContacts(config, {
    onEvent: options.onEvent,
    signal: options.signal,
    history: index,
    sink: {
      row: (row) => {
        book.valid(row);
        planner.add(row);
      },
      rejected: (r) => {
        planner.reject(plannedReject(r));
        book.rejected(r);
      },
    },
    watch: book.watch(),
  });
  const warnings = book.warnings(result.warnings);
  await planner.finish(previous?.contacts());
  const renames: PlannedRename[] = [];
  for (const line of stores.rename.lines()) {
    const rename = JSON.parse(line) as PlannedRename;
    if (wanted.has(dnKey(rename.dn)) || options.renamesFrom?.has(rename.from.toLowerCase()) === true)
      renames.push(rename);
  }
  return {
    rows: book.rows,
    plan: {
      firstPush: previous === undefined,
      create: stores.create.kept,
      update: stores.update.kept,
      archive: stores.archive.kept,
      renames,
    },
    warnings,
    connection: result.connection,
  };
}

/** The fates of the wanted people's rows, as the export tells them. */
class FateBook {
  /** Per person (normalised DN), per location slug. */
  public readonly rows = new Map<string, Map<string, RowFate>>();

  public constructor(
    private readonly layout: ResolvedConfig['layout'],
    private readonly wanted: ReadonlySet<string>,
    private readonly keys: Set<string>,
  ) {}

  private record(dn: string, slug: string, fate: RowFate): void {
    const key = dnKey(dn);
    const byLocation = this.rows.get(key) ?? new Map<string, RowFate>();
    this.rows.set(key, byLocation);
    byLocation.set(slug, fate);
  }

  /** A row sent: its identity joins the plan entries kept. */
  public valid(row: CurrentRow & { dn: string }): void {
    if (!this.wanted.has(dnKey(row.dn))) return;
    this.keys.add(identityOf(this.layout, row));
    this.record(row.dn, row.location, {
      verdict: 'valid',
      cells: row.cells,
      reasons: [],
      ...(row.id === undefined ? {} : { id: row.id }),
    });
  }

  /** A row rejected (a duplicate told before keeps its verdict and takes the reasons). */
  public rejected(r: { dn: string; location: string; cells: string[]; reasons: string[] }): void {
    if (!this.wanted.has(dnKey(r.dn))) return;
    const known = this.rows.get(dnKey(r.dn))?.get(r.location);
    if (known?.verdict === 'duplicate') known.reasons = r.reasons;
    else this.record(r.dn, r.location, { verdict: 'rejected', cells: r.cells, reasons: r.reasons });
  }

  /** What the export tells of duplicates and the one-site rule. */
  public watch(): ExportWatch {
    const layout = this.layout;
    return {
      wants: (dn) => this.wanted.has(dnKey(dn)),
      duplicate: (row, values) => {
        this.record(row.dn, row.location, {
          verdict: 'duplicate',
          cells: row.cells,
          reasons: [],
          duplicateOf: values.map((v) => ({ column: v.column, value: v.value, dn: v.owner })),
        });
      },
      oneSite: (row, keptBy) => {
        const email = layout.roles.email === undefined ? '' : (row.cells[layout.roles.email] ?? '');
        this.record(row.dn, row.location, {
          verdict: 'one-site',
          cells: row.cells,
          reasons: [
            `${email} is sent for location ${keptBy} only: iLobby holds one site per contact, and the first location in config order keeps it`,
          ],
          keptBy,
        });
      },
    };
  }

  /**
   * The export's warnings about the wanted people; an extra contact a directory row shadows is
   * not rejected: its warning says why.
   * @param all every warning of the export
   */
  public warnings(all: readonly ExportWarning[]): ExportWarning[] {
    const warnings = all.filter((w) => w.dn !== undefined && this.wanted.has(dnKey(w.dn)));
    for (const [dn, byLocation] of this.rows)
      for (const [slug, fate] of byLocation)
        if (fate.verdict === 'duplicate' && fate.reasons.length === 0)
          fate.reasons = warnings
            .filter((w) => w.location === slug && dnKey(w.dn ?? '') === dn)
            .map((w) => w.message);
    return warnings;
  }
}

/**
 * The contacts of the last good push a test picks (what the vendor last received for someone).
 * @param previous the last good push, if any
 * @param pick which contacts
 */
export async function lastReceived(
  previous: PreviousPush | undefined,
  pick: (contact: StoredContact) => boolean,
): Promise<StoredContact[]> {
  const found: StoredContact[] = [];
  if (!previous) return found;
  for await (const contact of previous.contacts()) if (pick(contact)) found.push(contact);
  return found;
}
