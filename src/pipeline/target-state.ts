import { access } from 'node:fs/promises';

import { describeMissing } from '../config/secrets.js';
import {
  legacyTargetAccount,
  targetAccount,
  unresolvedAccount,
  type TargetAccount,
} from '../config/target.js';
import type { ResolvedConfig } from '../config/types.js';
import { findStates } from '../state/baseline.js';
import { statePaths, type StatePaths } from '../state/paths.js';

/** A target's state files, and where its baseline is read from. */
export interface TargetState extends StatePaths {
  /** The vendor account (never a secret). */
  account: TargetAccount;
  /**
   * The state file the baseline is read from: `state` itself, a file an earlier release named
   * (read once, then replaced by `state` at the next push), or for a dry run without the
   * vendor's variables the only baseline recorded for the profile and upload URL. Undefined when
   * there is none to read.
   */
  readFrom: string | undefined;
  /** Why the baseline is (or cannot be) one this run is sure of, for a warning. */
  note?: string;
}

/** The key a state file's name is hashed from: the account, with no secret in it. */
function accountKey(account: TargetAccount): string {
  return `${account.profile}|${account.uploadUrl ?? ''}|${account.clientId ?? ''}`;
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * The state files of the vendor account a config pushes to: one baseline per account (profile,
 * normalised upload URL and OAuth2 client id; an API key is not part of it, so rotating it keeps
 * the baseline), so push and the commands that read its baseline find the same one.
 * @param config the resolved config
 */
export function targetStatePaths(config: ResolvedConfig): StatePaths & { account: TargetAccount } {
  const account = targetAccount(config.layout.profile, config.target);
  return { ...statePaths(config.stateDir, accountKey(account)), account };
}

/**
 * {@link targetStatePaths}, and the file this run reads the baseline from. A state named the way
 * an earlier release named it (by the raw URL and a hash of the API key) is read when the
 * account has none of its own yet. When the account is not known because the client id or URL
 * is an unresolved reference (a dry run without the vendor's variables), the baseline of the
 * profile and upload URL is used when exactly one is recorded; otherwise there is none, and
 * `note` says why.
 * @param config the resolved config
 */
export async function resolveTargetState(config: ResolvedConfig): Promise<TargetState> {
  const paths = targetStatePaths(config);
  if (await exists(paths.state)) return { ...paths, readFrom: paths.state };
  const unknown = unresolvedAccount(config.target);
  if (unknown === undefined) {
    const legacy = statePaths(
      config.stateDir,
      `${config.layout.profile}|${legacyTargetAccount(config.target)}`,
    );
    return { ...paths, readFrom: (await exists(legacy.state)) ? legacy.state : undefined };
  }
  const { profile, uploadUrl } = paths.account;
  const candidates = (await findStates(config.stateDir)).filter(
    (s) => s.account?.profile === profile && (uploadUrl === undefined || s.account.uploadUrl === uploadUrl),
  );
  const missing = describeMissing([unknown]).join('');
  if (candidates.length === 1 && candidates[0]) {
    return {
      ...paths,
      readFrom: candidates[0].path,
      note: `the vendor account is not known (${missing}): the plan is compared with the last push to ${candidates[0].account?.uploadUrl ?? 'the upload URL'}, the only one recorded for profile ${profile}`,
    };
  }
  return {
    ...paths,
    readFrom: undefined,
    note: `the plan is not compared with the vendor account's last push: ${missing}${candidates.length > 1 ? ` (${candidates.length} accounts have pushes recorded for profile ${profile})` : ''}; set it to plan against that account`,
  };
}
