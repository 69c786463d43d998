import { OutputError, describeError } from '../errors.js';
import { AtomicFile } from '../io/atomic-file.js';
import { LINE_CHUNK } from '../io/line-buffer.js';
import type { EntryStore, Plan } from '../plan/planner.js';

/**
 * The plan file (`plan-<stamp>.json`), written as the plan is computed: the contacts to create go
 * straight to it, one per line; updates, archives and renames follow when known; the counts
 * close it.
 * Written to a temporary name and renamed when complete.
 */
export class PlanFileWriter implements EntryStore {
  private chunk: string;
  private entries = 0;

  private constructor(
    private readonly path: string,
    private readonly file: AtomicFile,
    firstPush: boolean,
  ) {
    this.chunk = `{\n  "firstPush": ${String(firstPush)},\n  "create": [`;
  }

  /**
   * @param path the plan file
   * @param firstPush whether there is no earlier push
   */
  public static async create(path: string, firstPush: boolean): Promise<PlanFileWriter> {
    try {
      return new PlanFileWriter(path, await AtomicFile.create(path), firstPush);
    } catch (error) {
      throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
    }
  }

  /** Add a contact to create (a JSON text). */
  public add(line: string): void {
    this.chunk += `${this.entries++ === 0 ? '' : ','}\n    ${line}`;
  }

  /** Characters waiting to be written. */
  public get pending(): number {
    return this.chunk.length;
  }

  public lines(): Iterable<string> {
    throw new Error('the plan file is not read back');
  }

  /** Write what is buffered. */
  public async flush(): Promise<void> {
    const chunk = this.chunk;
    this.chunk = '';
    if (chunk !== '') await this.file.write(chunk);
  }

  private async list(name: string, lines: AsyncIterable<string> | Iterable<string>): Promise<void> {
    let n = 0;
    this.chunk += `\n  ],\n  "${name}": [`;
    for await (const line of lines) {
      this.chunk += `${n++ === 0 ? '' : ','}\n    ${line}`;
      if (this.chunk.length >= LINE_CHUNK) await this.flush();
    }
  }

  /**
   * Complete the file: updates, archives, renames, and the counts.
   * @param plan the plan (for its counts)
   * @param update the updates (JSON texts)
   * @param archive the archives (JSON texts)
   * @param renames the renames among the archives (JSON texts)
   */
  public async finish(
    plan: Plan,
    update: EntryStore,
    archive: EntryStore,
    renames: EntryStore,
  ): Promise<void> {
    try {
      await this.list('update', update.lines());
      await this.list('archive', archive.lines());
      await this.list('renames', renames.lines());
      const rest = JSON.stringify(
        { unchanged: plan.unchanged, locations: plan.locations, totals: plan.totals },
        null,
        2,
      );
      this.chunk += `\n  ],\n${rest.slice(2)}\n`;
      await this.flush();
      await this.file.commit();
    } catch (error) {
      await this.abort();
      if (error instanceof OutputError) throw error;
      throw new OutputError(`cannot write ${this.path}: ${describeError(error)}`, { cause: error });
    }
  }

  /** Give up: remove the temporary file (never throws). */
  public async abort(): Promise<void> {
    await this.file.abort();
  }
}
