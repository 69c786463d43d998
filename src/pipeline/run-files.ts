import { mkdtemp, readFile, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { OutputError, describeError } from '../errors.js';
import { LineBuffer } from '../io/line-buffer.js';
import { currentOwner, ownerGone, parseOwner } from '../util/owner.js';
import { makeDir } from '../io/make-dir.js';

const WORK_PREFIX = '.adsync-run-';
const OWNER_FILE = 'owner.json';
/** A work folder without an owner file this old is a leftover (of a run killed in its first step, or of an older adsync). */
const UNOWNED_STALE_MS = 24 * 60 * 60 * 1000;

/**
 * Remove the work folders that runs killed with SIGKILL (or a power cut) left in the output
 * directory: they hold the contacts' names, emails and phones. Only folders whose owner is
 * known to be gone (its process of this machine no longer exists) are removed, and unowned
 * ones after a day. Never throws: a folder that cannot be removed now is tried next run.
 * @param outDir the output directory
 * @param own this run's folder
 */
async function removeDeadWork(outDir: string, own: string): Promise<void> {
  const names = await readdir(outDir).catch(() => []);
  for (const name of names) {
    const dir = join(outDir, name);
    if (!name.startsWith(WORK_PREFIX) || dir === own) continue;
    const text = await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => undefined);
    const owner = text === undefined ? undefined : parseOwner(text);
    const dead =
      owner !== undefined
        ? ownerGone(owner)
        : Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? Date.now()) > UNOWNED_STALE_MS;
    if (dead) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
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
   * Create the output directory (if needed) and the private directory in it.
   * @param csvPath the run's CSV: the work files go beside it
   */
  public static async create(csvPath: string): Promise<RunWorkspace> {
    const outDir = dirname(csvPath);
    try {
      const created = makeDir(outDir);
      const dir = await mkdtemp(join(outDir, WORK_PREFIX));
      // Who owns it, so a later run can tell a dead run's leftovers (personal data) from a
      // run still going (a dry run takes no lock).
      await writeFile(join(dir, OWNER_FILE), JSON.stringify(currentOwner()), { mode: 0o600, flag: 'wx' });
      await removeDeadWork(outDir, dir);
      return new RunWorkspace(dir, outDir, created);
    } catch (error) {
      throw new OutputError(`cannot write ${csvPath}: ${describeError(error)}`, { cause: error });
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
