import { open, type FileHandle } from 'node:fs/promises';

import { fileLines } from './file-lines.js';

/** Characters a {@link LineBuffer} gathers before {@link LineBuffer.append} writes them out. */
export const LINE_CHUNK = 256 * 1024;

/**
 * Lines appended during a run to a private file (created with O_EXCL, mode 0600: run files hold
 * personal data), gathered in memory and written in chunks, then read back at the end. Adding is
 * synchronous, so hot loops do not pay for a promise per line: the owner calls
 * {@link LineBuffer.flush} when {@link LineBuffer.pending} grows, or uses
 * {@link LineBuffer.append}, which does both.
 */
export class LineBuffer {
  private chunk = '';
  private handle: FileHandle | undefined;
  private written = false;

  /**
   * @param path the file (created on the first flush)
   */
  public constructor(public readonly path: string) {}

  /**
   * Add one line (without its `\n`).
   * @param line the line
   */
  public add(line: string): void {
    this.chunk += `${line}\n`;
  }

  /**
   * Add one line and write the buffer out once it holds a chunk.
   * @param line the line
   */
  public async append(line: string): Promise<void> {
    this.chunk += `${line}\n`;
    if (this.chunk.length >= LINE_CHUNK) await this.flush();
  }

  /** Characters waiting to be written. */
  public get pending(): number {
    return this.chunk.length;
  }

  /** Write what is buffered. */
  public async flush(): Promise<void> {
    if (this.chunk === '') return;
    this.handle ??= await open(this.path, 'wx', 0o600);
    this.written = true;
    const chunk = this.chunk;
    this.chunk = '';
    await this.handle.writeFile(chunk);
  }

  /** Flush and close; the file exists afterwards, even when empty. */
  public async close(): Promise<void> {
    const handle = (this.handle ??= await open(this.path, 'wx', 0o600));
    this.written = true;
    try {
      await this.flush();
    } finally {
      await handle.close();
      this.handle = undefined;
    }
  }

  /** The lines added, in order: from the file once anything was written, else from memory. */
  public async *lines(): AsyncGenerator<string> {
    if (this.written) yield* fileLines(this.path);
    else for (const line of this.chunk.split('\n')) if (line !== '') yield line;
  }
}
