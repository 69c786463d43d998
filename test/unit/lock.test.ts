import { spawnSync } from 'node:child_process';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { acquireLock } from '../../src/state/lock.js';
import { tempDir } from '../harness/files.js';

describe('run lock', () => {
  it('a second taker gets exit 4 naming the holder; release frees it', async () => {
    const path = join(await tempDir(), 'state.lock');
    const first = await acquireLock(path, 120);
    await expect(acquireLock(path, 120)).rejects.toMatchObject({
      code: 'LOCKED',
      exitCode: 4,
      message: expect.stringContaining(`pid ${process.pid} on ${hostname()}`) as string,
    });
    await first.release();
    const again = await acquireLock(path, 120);
    expect(again.tookOver).toBeUndefined();
    await again.release();
  });

  it('takes over a lock of a dead process, an old lock and a damaged lock', async () => {
    const dir = await tempDir();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const path = join(dir, 'a.lock');
    await writeFile(
      path,
      JSON.stringify({ pid: dead, host: hostname(), startedAt: new Date().toISOString() }),
    );
    const a = await acquireLock(path, 120);
    expect(a.tookOver).toContain(`pid ${String(dead)}`);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid });
    await a.release();

    // On another host, age is the time since the holder last refreshed the lock (its mtime).
    await writeFile(path, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: '2020-01-01T00:00:00Z' }));
    const longAgo = new Date('2020-01-01T00:00:00Z');
    await utimes(path, longAgo, longAgo);
    const b = await acquireLock(path, 120);
    expect(b.tookOver).toContain('on elsewhere');
    await b.release();

    await writeFile(path, '{"pid":');
    const c = await acquireLock(path, 120);
    expect(c.tookOver).toBe('a damaged lock file');
    await c.release();

    // A live lock on another host that is not old yet is respected.
    await writeFile(path, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: new Date().toISOString() }));
    await expect(acquireLock(path, 120)).rejects.toMatchObject({ code: 'LOCKED' });
  });
});
