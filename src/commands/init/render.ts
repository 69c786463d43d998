import { commandLine } from '../../util/shell-quote.js';
import type { Line } from '../output.js';

/**
 * What `adsync init` says: the file written and what to do next; the path is also the data.
 * @param path the file written
 * @param json whether the JSON report is the data instead
 * @param given the path as the user typed it (`--file`), for the next command
 * @param platform whose shell the next command is quoted for, and whose file names ignore case
 * @param createdFolder the folder init created for the file, if any
 */
export function renderInit(
  path: string,
  json: boolean,
  given = 'adsync.yaml',
  platform: NodeJS.Platform = process.platform,
  createdFolder?: string,
): Line[] {
  // ./adsync.yaml is found without --config; any other file has to be named. Windows finds
  // .\ADSYNC.YAML by that name too: its file names are case-insensitive.
  const name = given.replace(platform === 'win32' ? /^\.[\\/]/ : /^\.\//, '');
  const found = (platform === 'win32' ? name.toLowerCase() : name) === 'adsync.yaml';
  const next = commandLine('adsync', found ? ['check'] : ['check', '--config', given], platform);
  const lines: Line[] = [];
  if (createdFolder !== undefined)
    lines.push({ level: 'info', text: `created the folder ${createdFolder} (${folderNote(platform)})` });
  lines.push({ level: 'info', text: `wrote ${path}; edit it, then run \`${next}\`` });
  if (!json) lines.push({ level: 'data', text: path });
  return lines;
}

/**
 * How private a folder init creates is, in words.
 * @param platform the platform it is on
 */
function folderNote(platform: NodeJS.Platform): string {
  return platform === 'win32' ? "as private as its parent's ACL" : 'mode 700, only this account can enter it';
}
