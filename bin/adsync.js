#!/usr/bin/env node
// Thin loader: check the Node version before loading anything (an older Node could not even
// parse the CLI's dependencies), then start the built CLI. All behaviour lives there.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `adsync needs Node.js 22.19 or newer (24 recommended); this is Node.js ${process.versions.node}.\n` +
      'To fix: install Node.js 24 (or 22.19+) and run adsync again; or, in a clone of adsync,\n' +
      'run `bash scripts/install.sh` (it fetches Node 24 into .tools/ when needed) and start adsync\n' +
      'with the launcher it writes: `./adsync …` (adsync.cmd on Windows).\n',
  );
  process.exitCode = 2;
} else {
  const { run } = await import('../dist/cli/main.js');
  await run(process.argv);
}
