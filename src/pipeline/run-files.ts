import { mkdtemp, readFile, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { runFileStamp, runStamp, type RunFiles } from '../csv/writer.js';
import { OutputError, describeError } from '../errors.js';
import { atomicTarget } from '../io/atomic-file.js';
import { LineBuffer } from '../io/line-buffer.js';
import { currentOwner, ownerGone, parseOwner, type Owner } from '../util/owner.js';
import { makeDir } from '../io/make-dir.js';

const WORK_PREFIX = '.adsync-run-';
const OWNER_FILE = 'owner.json';
/** A work folder without an owner file this old is a leftover (of a run killed in its first step, or of an older adsync). */
const UNOWNED_STALE_MS = 24 * 60 * 60 * 1000;

/** What a run's work folder says about the run: whose it is and which files it writes. */
interface WorkOwner extends Owner {
  /** The names of the run's files in the output directory (CSV, rejects, plan). */
  files: string[];
}

/** A run's work folder, as another run finds it. */
interface WorkFolder {
  dir: string;
  /** Known to be gone: its process of this machine ended, or unowned for a day. */
  dead: boolean;
  /** The names of the run's files; undefined when it does not say (an earlier release, or its first step). */
  files: string[] | undefined;
}

/** Read and judge one work folder. */
async function seeWorkFolder(dir: string): Promise<WorkFolder> {
  const text = await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => undefined);
  const owner = text === undefined ? undefined : parseOwner(text);
  if (owner === undefined) {
    const mtimeMs = (await stat(dir).catch(() => undefined))?.mtimeMs ?? Date.now();
    return { dir, dead: Date.now() - mtimeMs > UNOWNED_STALE_MS, files: undefined };
  }
  const files = (JSON.parse(text ?? '{}') as { files?: unknown }).files;
  return {
    dir,
    dead: ownerGone(owner),
    files: Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : undefined,
  };
}

/** The run files of the output directory, by which runs claim them. */
interface RunClaims {
  /** The work folders, judged. */
  folders: WorkFolder[];
  /** Files of runs that may still be going (this one included). */
  live: Set<string>;
  /** Files of runs known to be gone. */
  dead: Set<string>;
  /** A run that may still be going did not say which files are its. */
  liveUnknown: boolean;
}

/**
 * Who owns what in the output directory: every run's work folder names its files while the run
 * lasts (see {@link RunWorkspace.create}), so a file no live run claims is a leftover.
 * @param outDir the output directory
 * @param names its entries
 */
async function runClaims(outDir: string, names: readonly string[]): Promise<RunClaims> {
  const folders = await Promise.all(
    names.filter((n) => n.startsWith(WORK_PREFIX)).map((n) => seeWorkFolder(join(outDir, n))),
  );
  const claims: RunClaims = { folders, live: new Set(), dead: new Set(), liveUnknown: false };
  for (const folder of folders) {
    if (folder.files === undefined) claims.liveUnknown ||= !folder.dead;
    for (const file of folder.files ?? []) (folder.dead ? claims.dead : claims.live).add(file);
  }
  return claims;
}

/**
 * Remove what runs killed with SIGKILL (or a power cut) left in the output directory: their work
 * folders and the temporaries of their CSV, rejects file and plan, all holding the contacts'
 * names, emails and phones. Only what no live run claims goes: folders whose owner is known to be
 * gone (its process of this machine no longer exists) or unowned for a day, and temporaries of
 * such runs, or of adsync's run files no run claims (while every live run says what it writes).
 * Never throws: what cannot be removed now is tried next run.
 * @param outDir the output directory
 */
async function removeDeadRuns(outDir: string): Promise<void> {
  const names = await readdir(outDir).catch(() => []);
  const claims = await runClaims(outDir, names);
  const gone = claims.folders.filter((f) => f.dead).map((f) => f.dir);
  for (const name of names) {
    const target = atomicTarget(name);
    if (target === undefined || claims.live.has(target)) continue;
    const unclaimed = runFileStamp(target) !== undefined && !claims.liveUnknown;
    if (claims.dead.has(target) || unclaimed) gone.push(join(outDir, name));
  }
  for (const path of gone) await rm(path, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Keep the newest `keep` runs in the output directory and delete the files of older ones. Only
 * files named like adsync's own run files are touched, and never those of a run still going:
 * this one's (its work folder claims them until it ends) or another's on this machine or a
 * shared disk. Newest is by the run's stamp, except that a stamp later than now is taken for
 * the oldest: such files were written before the clock was set back, and ranking them first
 * would have every later run pruned instead.
 * @param dir the output directory
 * @param keep how many runs to keep, the live ones included
 * @returns deleted file names
 */
export async function pruneRuns(dir: string, keep: number): Promise<string[]> {
  const names = await readdir(dir).catch(() => undefined);
  if (names === undefined) return [];
  const { live } = await runClaims(dir, names);
  const liveStamps = new Set([...live].map(runFileStamp));
  const byStamp = new Map<string, string[]>();
  for (const name of names) {
    const stamp = runFileStamp(name);
    if (stamp !== undefined) byStamp.set(stamp, [...(byStamp.get(stamp) ?? []), name]);
  }
  const now = runStamp(new Date());
  const rank = (stamp: string): string => `${stamp > now ? 0 : 1}${stamp}`;
  const stamps = [...byStamp.keys()];
  const others = stamps.filter((s) => !liveStamps.has(s)).sort((a, b) => (rank(a) < rank(b) ? 1 : -1));
  const old = others.slice(Math.max(0, keep - (stamps.length - others.length)));
  const deleted = old.flatMap((stamp) => byStamp.get(stamp) ?? []);
  await Promise.all(deleted.map((name) => rm(join(dir, name), { force: true })));
  return deleted;
}

/**
 * A push's private work files: a directory beside the CSV (same disk, same access rights as the
 * personal data) holding the line buffers of the plan and the next state, and the sort runs.
 * A run that fails leaves no trace: {@link RunWorkspace.fail} removes the work files and the
 * output directories the run made (when empty).
 */
export class RunWorkspace {
  private readonly cleanups: (() => Promise<void>)[];

  private constructor(
    /** The private directory. */
    public readonly dir: string,
    private readonly outDir: string,
    /** The topmost output directory this run created, if any. */
    private readonly created: string | undefined,
  ) {
    this.cleanups = [() => rm(dir, { recursive: true, force: true })];
  }

  /**
   * Create the output directory (if needed) and the private directory in it, which says whose it
   * is and which files the run writes (so a later run can tell a dead run's leftovers, personal
   * data, from a run still going: a dry run takes no lock), and remove dead runs' leftovers.
   * @param files the run's files: the work files go beside the CSV
   */
  public static async create(files: RunFiles): Promise<RunWorkspace> {
    const outDir = dirname(files.csvPath);
    try {
      const created = makeDir(outDir);
      const dir = await mkdtemp(join(outDir, WORK_PREFIX));
      const owner: WorkOwner = {
        ...currentOwner(),
        files: [files.csvPath, files.rejectsPath, files.planPath].map((f) => basename(f)),
      };
      await writeFile(join(dir, OWNER_FILE), JSON.stringify(owner), { mode: 0o600, flag: 'wx' });
      await removeDeadRuns(outDir);
      return new RunWorkspace(dir, outDir, created);
    } catch (error) {
      throw new OutputError(`cannot write ${files.csvPath}: ${describeError(error)}`, { cause: error });
    }
  }

  /**
   * A line buffer for one work file.
   * @param name its name in the private directory
   */
  public buffer(name: string): LineBuffer {
    return new LineBuffer(join(this.dir, name));
  }

  /**
   * Run this too when the work files go (files written outside the private directory).
   * @param cleanup never throws, or its error is ignored
   */
  public onDispose(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** Remove the work files, the last registered first. */
  public async dispose(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }

  /** The run failed: remove the work files and the output directories it made, when empty. */
  public async fail(): Promise<void> {
    await this.dispose();
    if (this.created === undefined) return;
    for (let dir = this.outDir; dir.length >= this.created.length; dir = dirname(dir)) {
      const removed = await rmdir(dir).then(
        () => true,
        () => false,
      );
      if (!removed) return;
    }
  }
}
