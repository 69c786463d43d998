/**
 * The search thread's module (see {@link SearchThread}): it connects and binds with the settings
 * it is given, runs each search it is sent through {@link LdapDirectory.pages}, and sends the
 * pages back, at most {@link PAGES_AHEAD} ahead of the main thread's acknowledgements.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { DirectoryError, describeError, type ErrorCode } from '../../errors.js';
import type { SearchRequest } from './entries.js';
import { PAGES_AHEAD, type ThreadCommand, type ThreadFailure, type ThreadReply } from './search-thread.js';
import type { LdapDirectoryOptions } from './options.js';
import { LdapDirectory } from './source.js';

const port = parentPort;
if (!port) throw new Error('search-worker.js runs as a worker thread only');

const directory = new LdapDirectory({ ...(workerData as LdapDirectoryOptions), searchThread: false });
let opened: Promise<unknown> | undefined;
// Every page sent is acknowledged once (or the worker is ended), so the credit never drifts.
let credit = PAGES_AHEAD;
let wake: (() => void) | undefined;

function send(reply: ThreadReply): void {
  port?.postMessage(reply);
}

function failure(error: unknown): ThreadFailure {
  if (error instanceof DirectoryError) {
    return {
      kind: 'directory',
      code: error.code as Extract<ErrorCode, `LDAP_${string}`>,
      message: error.message,
      hint: error.hint,
      details: error.reportDetails(),
      cause: error.cause === undefined ? undefined : describeError(error.cause),
    };
  }
  return {
    kind: 'bug',
    message: describeError(error),
    stack: error instanceof Error ? error.stack : undefined,
  };
}

async function search(request: SearchRequest): Promise<void> {
  try {
    opened ??= directory.open();
    await opened;
    for await (const page of directory.pages(request)) {
      while (credit <= 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      credit--;
      send({ type: 'page', ...page });
    }
    send({ type: 'end' });
  } catch (error) {
    send({ type: 'error', failure: failure(error) });
  }
}

port.on('message', (command: ThreadCommand) => {
  if (command.type === 'ack') {
    credit++;
    const w = wake;
    wake = undefined;
    w?.();
  } else void search(command.request);
});
