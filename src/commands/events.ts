import type { ExportEvent } from '../pipeline/export.js';
import type { UploadEvent } from '../upload/client.js';
import type { Line } from './output.js';

/**
 * What a directory event shows: a progress line, and for connections, searches and references
 * also a --verbose line.
 * @param event what the export reported
 */
export function exportEventLines(event: ExportEvent): Line[] {
  let text: string;
  switch (event.type) {
    case 'connected':
      text = event.connection.summary;
      break;
    case 'search':
      text = `searching ${event.base} for location ${event.location || '(all)'} with ${event.filter}`;
      break;
    case 'entries':
      text = `${event.total} entries read`;
      break;
    case 'reference':
      text = `ignoring search reference ${event.uri}`;
      break;
    case 'schema':
      return [{ level: 'debug', text: event.note }];
  }
  const progress: Line = { level: 'progress', text };
  return event.type === 'entries' ? [progress] : [{ level: 'debug', text }, progress];
}

/**
 * What an upload event shows: a retry is a warning, the rest is progress.
 * @param event what the upload reported
 */
export function uploadEventLines(event: UploadEvent): Line[] {
  if (event.type === 'retry')
    return [
      {
        level: 'warn',
        text: `upload attempt ${event.attempt} failed (${event.reason}); retrying in ${(event.waitMs / 1000).toFixed(1)} s`,
      },
    ];
  return [
    {
      level: 'progress',
      text: event.type === 'token' ? `getting a token from ${event.url}` : `uploading to ${event.url}`,
    },
  ];
}
