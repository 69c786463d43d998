import type { Line } from '../output.js';

/**
 * What `adsync init` says: the file written and what to do next; the path is also the data.
 * @param path the file written
 * @param json whether the JSON report is the data instead
 */
export function renderInit(path: string, json: boolean): Line[] {
  const lines: Line[] = [{ level: 'info', text: `wrote ${path}; edit it, then run \`adsync check\`` }];
  if (!json) lines.push({ level: 'data', text: path });
  return lines;
}
