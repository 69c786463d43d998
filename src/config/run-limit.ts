/**
 * The rule that a run ends before its lock could time out, in a module of its own: the CLI
 * checks `--timeout` with it without loading the config stage's libraries.
 */

function minutes(ms: number): string {
  return `${Math.round(ms / 600) / 100} min`;
}

/**
 * Why a run time limit is refused, if it is: a run must end (stopped by its limit, if need be)
 * before its lock could time out, or a second run could take the lock over and push at the same
 * time. Used for `schedule.timeoutMinutes` (or its default) here and for `--timeout` by the
 * commands that take the lock.
 * @param limit the run time limit, in ms, and what set it (`--timeout`, `schedule.timeoutMinutes`)
 * @param limit.ms the limit
 * @param limit.name what set it
 * @param lockTimeoutMinutes `safety.lockTimeoutMinutes`
 * @returns the reason, or undefined when the limit is shorter than the lock timeout
 */
export function runLimitProblem(
  limit: { ms: number; name: string },
  lockTimeoutMinutes: number,
): string | undefined {
  return limit.ms < lockTimeoutMinutes * 60_000
    ? undefined
    : `the run time limit, ${limit.name} (${minutes(limit.ms)}), must be shorter than safety.lockTimeoutMinutes (${minutes(lockTimeoutMinutes * 60_000)}): a run still going when its lock times out could meet a second run pushing at the same time; lower the limit or raise safety.lockTimeoutMinutes`;
}
