import { targetAccount } from '../config/target.js';
import type { ResolvedConfig } from '../config/types.js';
import { statePaths, type StatePaths } from '../state/paths.js';

/**
 * The state files of the vendor account a config pushes to: one baseline per account (profile,
 * upload URL and client, never the secret itself), so push and the commands that read its
 * baseline find the same one.
 * @param config the resolved config
 */
export function targetStatePaths(config: ResolvedConfig): StatePaths {
  return statePaths(config.stateDir, `${config.layout.profile}|${targetAccount(config.target)}`);
}
