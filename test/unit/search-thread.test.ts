import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { SearchThread } from '../../src/directory/ldap/search-thread.js';
import { tempDir } from '../harness/files.js';

const REQUEST = {
  base: 'ou=people,dc=example,dc=com',
  scope: 'sub' as const,
  filter: '(objectClass=*)',
  attributes: ['cn'],
  bufferAttributes: [],
  location: '',
};

/** A worker module standing in for search-worker.js: `body` handles each command. */
async function workerScript(body: string): Promise<URL> {
  const path = join(await tempDir(), 'worker.mjs');
  await writeFile(
    path,
    `import { parentPort } from 'node:worker_threads';\nparentPort.on('message', (command) => {\n${body}\n});\n`,
  );
  return pathToFileURL(path);
}

/**
 * The exit code of the next worker thread started in this process: Node announces each new
 * Worker on `process` before its owner listens, so the owner has seen the exit when this resolves.
 */
function nextWorkerExit(): Promise<number> {
  return new Promise((resolve) => {
    process.once('worker', (worker: Worker) => {
      worker.once('exit', resolve);
    });
  });
}

const PAGE = `parentPort.postMessage({ type: 'page', entries: [{ dn: 'cn=a', cn: 'a' }], references: [] });`;

async function dns(thread: SearchThread): Promise<string[]> {
  const out: string[] = [];
  for await (const page of thread.search(REQUEST)) out.push(...page.entries.map((e) => e.dn));
  return out;
}

describe('search thread lifecycle', () => {
  it('a worker that dies fails the search, naming its exit code', async () => {
    const thread = new SearchThread(await workerScript(`process.exit(3);`), {});
    await expect(dns(thread)).rejects.toThrow('the search thread stopped (exit code 3)');
    expect(thread.running).toBe(false);
  });

  it('a worker that died while idle does not fail the next search', async () => {
    // Each worker answers one search, then exits: the next search needs a new one.
    const script = await workerScript(
      `if (command.type !== 'search') return;\n${PAGE}\nparentPort.postMessage({ type: 'end' });\nsetTimeout(() => process.exit(0), 20);`,
    );
    const thread = new SearchThread(script, {});
    const exited = nextWorkerExit();
    expect(await dns(thread)).toEqual(['cn=a']);
    expect(await exited).toBe(0);
    expect(thread.running).toBe(false);
    expect(await dns(thread)).toEqual(['cn=a']);
    await thread.stop();
  });

  it('ending the thread during a search fails the search instead of leaving it waiting', async () => {
    const thread = new SearchThread(await workerScript(`if (command.type === 'search') { ${PAGE} }`), {});
    const pages = thread.search(REQUEST);
    expect((await pages.next()).done).toBe(false);
    const waiting = pages.next().then(
      () => undefined,
      (error: unknown) => error,
    );
    await thread.stop();
    expect(await waiting).toMatchObject({ message: 'the search thread was ended during a search' });
    expect(thread.running).toBe(false);
  });
});
