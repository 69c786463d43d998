#!/usr/bin/env node
// Thin loader: check the Node version before loading anything (an older Node could not even
// parse the CLI's dependencies), then start the built CLI. All behaviour lives there. The version
// rule is package.json's engines.node, read by node-version.cjs.
import nodeVersion from './node-version.cjs';

if (!nodeVersion.nodeIsNewEnough(process.versions.node)) {
  process.stderr.write(
    `adsync needs Node.js ${nodeVersion.minimum} or newer (24 recommended); this is Node.js ${process.versions.node}.\n` +
      `To fix: install Node.js 24 (or ${nodeVersion.minimum}+) and run adsync again; or, in a clone of adsync,\n` +
      'run `bash scripts/install.sh` (it fetches Node 24 into .tools/ when needed) and start adsync\n' +
      'with the launcher it writes: `./adsync …` (adsync.cmd on Windows).\n',
  );
  process.exitCode = 2;
} else {
  const { run } = await import('../dist/cli/main.js');
  await run(process.argv);
}
