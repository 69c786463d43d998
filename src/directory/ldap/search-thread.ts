import { Worker } from 'node:worker_threads';

import type { Entry } from 'ldapts';

import { DirectoryError, describeError, type ErrorCode, type ReportDetails } from '../../errors.js';
import type { SearchRequest } from './entries.js';

/** One page of a search: its entries (ranged attributes completed) and continuation references. */
export interface SearchPage {
  /** The entries; binary values arrive from the search thread as Uint8Array, not Buffer. */
  entries: Entry[];
  references: string[];
}

/** What the main thread tells the search thread. */
export type ThreadCommand = { type: 'search'; request: SearchRequest } | { type: 'ack' };

/** A failure, as it crosses from the search thread. */
export type ThreadFailure =
  | {
      kind: 'directory';
      code: Extract<ErrorCode, `LDAP_${string}`>;
      message: string;
      hint: string | undefined;
      details: ReportDetails | undefined;
      cause: string | undefined;
    }
  | { kind: 'bug'; message: string; stack: string | undefined };

/** What the search thread answers. */
export type ThreadReply =
  ({ type: 'page' } & SearchPage) | { type: 'end' } | { type: 'error'; failure: ThreadFailure };

/**
 * Pages the search thread may send ahead of the main thread: one being mapped, one waiting,
 * while the thread reads the next. Bounded, so memory does not grow when mapping is the slower.
 */
export const PAGES_AHEAD = 2;

/**
 * The error a failure in the search thread stands for: the same {@link DirectoryError} (code,
 * message, hint, details) the search would have thrown in the main thread.
 * @param failure the failure as it crossed
 */
function rebuild(failure: ThreadFailure): Error {
  if (failure.kind === 'bug') {
    const error = new Error(failure.message);
    if (failure.stack !== undefined) error.stack = failure.stack;
    return error;
  }
  return new DirectoryError(failure.code, failure.message, {
    ...(failure.hint !== undefined ? { hint: failure.hint } : {}),
    ...(failure.details !== undefined ? { details: failure.details } : {}),
    ...(failure.cause !== undefined ? { cause: new Error(failure.cause) } : {}),
  });
}

/**
 * The directory's paged searches run in a worker thread with a connection of its own: ldapts's
 * socket reads and BER parsing (a third of a push's CPU time, and most of its garbage) go to the
 * second core while the main thread maps, validates and writes the pages already read. One
 * search at a time; pages cross by structured clone, at most {@link PAGES_AHEAD} ahead.
 */
export class SearchThread {
  private worker: Worker | undefined;
  private readonly replies: ThreadReply[] = [];
  private waiting: (() => void) | undefined;

  /**
   * @param script the worker's module (search-worker.js)
   * @param settings what the worker connects with: the directory options, for the one URL the
   *   main thread's connection reached (cloned into the worker, never written anywhere)
   */
  public constructor(
    private readonly script: URL,
    private readonly settings: object,
  ) {}

  /** Whether the worker runs. */
  public get running(): boolean {
    return this.worker !== undefined;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // What an earlier worker said after its search (it died while idle) is not this one's news.
    this.replies.length = 0;
    const worker = new Worker(this.script, { workerData: this.settings });
    const fail = (message: string, stack?: string): void => {
      this.push({ type: 'error', failure: { kind: 'bug', message, stack } });
    };
    // A worker being ended may still deliver pages it sent before: they belong to a search that
    // is over and must not reach the next one.
    worker.on('message', (reply: ThreadReply) => {
      if (this.worker === worker) this.push(reply);
    });
    // A page that cannot be read here is dropped by Node: the search must fail, not come out short.
    worker.on('messageerror', (error: Error) => {
      if (this.worker === worker)
        fail(`a page from the search thread could not be read: ${describeError(error)}`);
    });
    worker.on('error', (error: unknown) => {
      if (this.worker === worker)
        fail(describeError(error), error instanceof Error ? error.stack : undefined);
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      fail(`the search thread stopped (exit code ${code})`);
    });
    this.worker = worker;
    return worker;
  }

  private push(reply: ThreadReply): void {
    this.replies.push(reply);
    const wake = this.waiting;
    this.waiting = undefined;
    wake?.();
  }

  private async next(): Promise<ThreadReply> {
    while (this.replies.length === 0) {
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
    return this.replies.shift() as ThreadReply;
  }

  /**
   * The pages of one search, in order. A failure throws the error the search would have thrown
   * in this thread; a search left early (failure, stop) ends the worker.
   * @param request base, scope, filter and attributes
   */
  public async *search(request: SearchRequest): AsyncGenerator<SearchPage> {
    const worker = this.start();
    // Held only while a search runs: an idle worker must not keep the process alive.
    worker.ref();
    let finished = false;
    try {
      worker.postMessage({ type: 'search', request } satisfies ThreadCommand);
      for (;;) {
        const reply = await this.next();
        if (reply.type === 'end') {
          finished = true;
          return;
        }
        if (reply.type === 'error') throw rebuild(reply.failure);
        worker.postMessage({ type: 'ack' } satisfies ThreadCommand);
        yield { entries: reply.entries, references: reply.references };
      }
    } finally {
      if (finished) worker.unref();
      else await this.stop();
    }
  }

  /** End the worker and its connection (never throws). */
  public async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.replies.length = 0;
    // A search still waiting for a page (the thread ended from outside) fails instead of hanging.
    if (this.waiting)
      this.push({
        type: 'error',
        failure: { kind: 'bug', message: 'the search thread was ended during a search', stack: undefined },
      });
    if (worker) await worker.terminate().catch(() => undefined);
  }
}
