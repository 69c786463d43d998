#!/usr/bin/env node
// Writes the launchers at the top of the checkout, ./adsync (POSIX sh) and adsync.cmd (Windows),
// which run bin/adsync.js with the Node running this script (scripts/write-launchers.sh runs it
// with the one ensure-node.sh chose). Written in Node, not in the shell, because Node names its
// own program truly on every platform: process.execPath is the real file, a native path on
// Windows (C:\Program Files\nodejs\node.exe), where Git Bash's `command -v node` gives /c/…
// (which cmd cannot run) or npm's shell shim .bin/node. The Windows suite runs this script
// under Wine and the .cmd it writes under cmd.exe (test/windows). Safe to run again.
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;

// Inside the checkout (the Node fetched into .tools/), the launchers find it relative to
// themselves, so the checkout can be moved; a Node elsewhere is named by its absolute path.
const rel = relative(root, node);
const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
const parts = rel.split(sep);

/** A path as Git Bash's sh wants it on Windows (C:\x → /c/x); unchanged elsewhere. */
const posixForm = (path) =>
  process.platform === 'win32'
    ? path.replace(/^([A-Za-z]):[\\/]/, (_, drive) => `/${drive.toLowerCase()}/`).replaceAll('\\', '/')
    : path;
/** Text inside sh double quotes: \, ", $ and ` are the characters that keep a meaning there. */
const shQuoted = (text) => text.replace(/[\\"$`]/g, '\\$&');

const shNode = inside ? `$here/${parts.map(shQuoted).join('/')}` : shQuoted(posixForm(node));
// cmd expands %NAME% even inside quotes: a literal % is written %%.
const cmdNode = inside ? `%~dp0${parts.join('\\')}` : node.replaceAll('%', '%%');

const sh = `#!/bin/sh
# Written by scripts/install.sh: runs adsync with the Node it chose (${process.version}).
self=$0
# Linked from a bin directory (ln -s $PWD/adsync /usr/local/bin/): follow the link home.
[ -L "$self" ] && self=$(readlink -f -- "$self" 2>/dev/null || printf '%s' "$self")
here=$(CDPATH= cd -- "$(dirname -- "$self")" && pwd)
exec "${shNode}" "$here/bin/adsync.js" "$@"
`;
// %* passes the arguments as typed (quoted ones with their spaces); the node call is the last
// line, so the batch file ends with node's exit code and %ERRORLEVEL% is adsync's.
const cmd = [
  '@echo off',
  `rem Written by scripts/install.sh: runs adsync with the Node it chose (${process.version}).`,
  `"${cmdNode}" "%~dp0bin\\adsync.js" %*`,
  '',
].join('\r\n');

/** Written beside the old one and renamed over it, so a launcher is never half-written. */
function writeLauncher(name, text, mode) {
  const tmp = join(root, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, join(root, name));
}

writeLauncher('adsync', sh, 0o755);
writeLauncher('adsync.cmd', cmd, 0o644);
