import type { Line } from '../output.js';

/**
 * What `adsync init` says: the file written and what to do next; the path is also the data.
 * @param path the file written
 * @param json whether the JSON report is the data instead
 * @param given the path as the user typed it (`--file`), for the next command
 */
export function renderInit(path: string, json: boolean, given = 'adsync.yaml'): Line[] {
  // ./adsync.yaml is found without --config; any other file has to be named.
  const found = given === 'adsync.yaml' || given === './adsync.yaml';
  const quoted = /^[\w./:@+-]+$/.test(given) ? given : `'${given.replaceAll("'", "'\\''")}'`;
  const next = found ? 'adsync check' : `adsync check --config ${quoted}`;
  const lines: Line[] = [{ level: 'info', text: `wrote ${path}; edit it, then run \`${next}\`` }];
  if (!json) lines.push({ level: 'data', text: path });
  return lines;
}
