import { spawn } from 'node:child_process';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { acquireLock } from '../../src/state/lock.js';
import { processIdentity } from '../../src/util/owner.js';
import { tempDir } from '../harness/files.js';

const THREE_HOURS_AGO = (): Date => new Date(Date.now() - 3 * 60 * 60 * 1000);
const LOCK_JS = new URL('../../dist/state/lock.js', import.meta.url).href;

/** A lock file as another run left it, last refreshed (its mtime) at `refreshed`. */
async function plantLock(path: string, holder: object, refreshed: Date): Promise<void> {
  await writeFile(path, JSON.stringify(holder));
  await utimes(path, refreshed, refreshed);
}

/** Poll a condition on the file system (an event adsync causes), not a guessed delay. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Run a node child to its end; resolves with its exit code and output. */
function runNode(script: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, out });
    });
  });
}

describe('run lock: liveness before age, refreshed while held', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never takes over a live holder on this host, however old its start and its last refresh', async () => {
    const path = join(await tempDir(), 'state.lock');
    const old = THREE_HOURS_AGO();
    // This test's own process is alive; the host is written in another case (Windows names).
    for (const host of [hostname(), hostname().toUpperCase(), hostname().toLowerCase()]) {
      await plantLock(path, { pid: process.pid, host, startedAt: old.toISOString() }, old);
      await expect(acquireLock(path, 120)).rejects.toMatchObject({ code: 'LOCKED', exitCode: 4 });
    }
  });

  it.runIf(processIdentity(process.pid) !== undefined)(
    'a live pid that is another process than the one recorded (pid reused) is not the holder',
    async () => {
      const path = join(await tempDir(), 'state.lock');
      const holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
      await plantLock(path, { ...holder, process: processIdentity(process.pid) }, new Date());
      await expect(acquireLock(path, 120)).rejects.toMatchObject({ code: 'LOCKED' });
      await plantLock(path, { ...holder, process: 'another-boot:12345' }, new Date());
      const lock = await acquireLock(path, 120);
      expect(lock.tookOver).toContain(`pid ${process.pid}`);
      await lock.release();
    },
  );

  it('takes over a dead holder on this host at once, whatever case its host name is written in', async () => {
    const path = join(await tempDir(), 'state.lock');
    const dead = 2 ** 22 + 7; // beyond Linux's pid_max: no such process
    await plantLock(
      path,
      { pid: dead, host: hostname().toUpperCase(), startedAt: new Date().toISOString() },
      new Date(),
    );
    const lock = await acquireLock(path, 120);
    expect(lock.tookOver).toContain(`pid ${dead}`);
    await lock.release();
  });

  it('another host: kept while it refreshes (even started 3 h ago), taken over once it stopped for longer than the timeout', async () => {
    const path = join(await tempDir(), 'state.lock');
    const holder = { pid: 1, host: 'other-host', startedAt: THREE_HOURS_AGO().toISOString() };
    await plantLock(path, holder, new Date());
    await expect(acquireLock(path, 120)).rejects.toMatchObject({
      code: 'LOCKED',
      message: expect.stringContaining('pid 1 on other-host') as string,
    });
    await plantLock(path, holder, THREE_HOURS_AGO());
    const lock = await acquireLock(path, 120);
    expect(lock.tookOver).toMatch(/^pid 1 on other-host since .*, not refreshed for 180 min/);
    await lock.release();
  });

  it('the holder refreshes the lock’s mtime while it holds it; release removes it', async () => {
    const path = join(await tempDir(), 'state.lock');
    const lock = await acquireLock(path, 120, { refreshMs: 20 });
    const text = await readFile(path, 'utf8');
    const old = THREE_HOURS_AGO();
    await utimes(path, old, old);
    await until('the refresh', async () => (await stat(path)).mtimeMs > Date.now() - 60_000);
    expect(await readFile(path, 'utf8')).toBe(text); // only touched, never rewritten
    await lock.release();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('release stops the refresh timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const path = join(await tempDir(), 'state.lock');
    const lock = await acquireLock(path, 120);
    expect(vi.getTimerCount()).toBe(1);
    await lock.release();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the refresh never keeps a process alive: a holder that forgets to release still exits', async () => {
    const path = join(await tempDir(), 'state.lock');
    const run = await runNode(
      `const { acquireLock } = await import(${JSON.stringify(LOCK_JS)});
       await acquireLock(${JSON.stringify(path)}, 120, { refreshMs: 10 });
       console.log('held');`,
    );
    expect(run).toEqual({ code: 0, out: 'held\n' });
    // Its lock stays behind, and its holder is gone: the next run takes it over.
    const next = await acquireLock(path, 120);
    expect(next.tookOver).toContain(`on ${hostname()}`);
    await next.release();
  });
});
