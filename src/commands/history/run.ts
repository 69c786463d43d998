import type { ResolvedConfig } from '../../config/types.js';
import { readHistory, type HistoryEntry } from '../../state/history.js';
import { statePaths } from '../../state/paths.js';

/**
 * Recent runs from the history.
 * @param config the resolved config (for the state directory)
 * @param limit how many runs
 */
export async function history(config: ResolvedConfig, limit: number): Promise<HistoryEntry[]> {
  return readHistory(statePaths(config.stateDir, '').history, limit);
}
