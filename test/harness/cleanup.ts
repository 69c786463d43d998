// Loaded before every test file (vitest setupFiles): whatever a test leaves in its temporary
// directories (and the tmpfs mounts in them) goes when the file ends. vitest runs after-hooks last-registered first, so this
// runs after the file's own afterAll hooks have stopped its servers.
import { afterAll } from 'vitest';

import { removeTempDirs } from './files.js';
import { unmountAll } from './tmpfs.js';

afterAll(async () => {
  await unmountAll();
  await removeTempDirs();
});
