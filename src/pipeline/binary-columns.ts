import type { ResolvedConfig } from '../config/types.js';
import type { DirectorySource } from '../directory/types.js';
import { ConfigError } from '../errors.js';
import { binaryColumnIssues } from '../mapping/columns.js';
import type { ExportEvent } from './types.js';

/**
 * Refuse columns that read, as text, attributes the server's schema declares binary (an Octet
 * String such as mS-DS-ConsistencyGuid, a certificate, a JPEG): the fixed list checked at
 * config load names the usual ones, the schema every one. A schema that cannot be read is no
 * error: the fixed list stays the check, and a debug line says why.
 * @param directory the open directory
 * @param config the resolved config (its layout and file)
 * @param url the server, for the message
 * @param emit where the debug line goes
 * @throws {ConfigError} CONFIG_INVALID naming each column and attribute (exit 2)
 */
export async function checkBinaryColumns(
  directory: DirectorySource,
  config: ResolvedConfig,
  url: string,
  emit: (event: ExportEvent) => void,
): Promise<void> {
  const schema = await directory.schemaSyntaxes();
  if (!schema.read) {
    emit({ type: 'schema', note: `binary attributes known by name only: ${schema.why}` });
    return;
  }
  const issues = binaryColumnIssues(config.layout, schema.binary);
  if (issues.length === 0) return;
  const lines = issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(
    'CONFIG_INVALID',
    `Invalid configuration in ${config.filepath}: the schema of ${url} declares mapped attributes binary:\n${lines.join('\n')}`,
    {
      hint: 'Map these columns to text attributes, or read GUIDs and SIDs with format: guid / sid. Photos, certificates and other bytes cannot be columns.',
    },
  );
}
