// The Node.js versions adsync runs on: package.json's `engines.node`, the one place that rule is
// written (scripts/ensure-node.sh reads it there too). CommonJS with plain syntax on purpose: any
// old Node can load it to say that it is too old, and the single executable's bundler inlines the
// JSON (no path to look up at run time).
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose, see above
const { engines } = require('../package.json');

const match = /^>=(\d+)\.(\d+)$/.exec(engines.node);
if (!match) throw new Error(`package.json engines.node must read ">=MAJOR.MINOR", not ${engines.node}`);
/** The oldest Node.js adsync runs on, as "MAJOR.MINOR". */
const minimum = `${match[1]}.${match[2]}`;

/**
 * Whether a Node.js version (as process.versions.node has it) is new enough for adsync.
 * @param {string} version e.g. "22.12.0"
 * @returns {boolean}
 */
function nodeIsNewEnough(version) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const want = [Number(match[1]), Number(match[2])];
  return major > want[0] || (major === want[0] && minor >= want[1]);
}

module.exports = { minimum, nodeIsNewEnough };
