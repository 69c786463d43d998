import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { OutputError, describeError } from '../errors.js';
import { LineBuffer } from '../io/line-buffer.js';
import { makeDir } from '../io/make-dir.js';

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
      return new RunWorkspace(await mkdtemp(join(outDir, '.adsync-run-')), outDir, created);
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
