import type { ResolvedConfig } from '../config/types.js';
import { GuardError } from '../errors.js';
import { noBaselineHint, noBaselineTrip } from '../plan/first-push.js';
import { approvalHint, checkGuards } from '../plan/guards.js';
import { planCounts, type Plan } from '../plan/planner.js';
import type { PreviousPush } from '../state/baseline.js';
import type { HistoryEntry } from '../state/history.js';
import type { exportToFiles } from './export.js';
import type { PushOptions, PushResult } from './push-types.js';

/** The first contacts a plan would archive, for the guard message. */
function archiveSample(plan: Plan): string {
  if (plan.totals.archive === 0) return '';
  const names = plan.archive
    .slice(0, 10)
    .map((a) => `${a.name}${a.rejectedBecause ? ' (row rejected)' : ''}`);
  const renames = plan.renames.slice(0, 5).map((r) => `${r.from} → ${r.to}`);
  const renamed =
    plan.totals.rename > 0
      ? ` ${plan.totals.rename} of them ${plan.totals.rename === 1 ? 'is a rename' : 'are renames'}: ${renames.join(', ')}${plan.totals.rename > 5 ? `, … (${plan.totals.rename - 5} more)` : ''}.`
      : '';
  return `Would archive: ${names.join(', ')}${plan.totals.archive > 10 ? `, … (${plan.totals.archive - 10} more)` : ''}.${renamed} `;
}

/**
 * Check the guards (and the missing baseline); throws the GuardError that stops the run. A dry
 * run is never dangerous: it says what the push would need, and goes on.
 * @param config the resolved config (its safety settings)
 * @param options the push's approvals and its stop callback
 * @param ctx the baseline's path (for the message) and the history line the guards go into
 * @param previous the last good push, if any
 * @param exported the export: its plan, searches and rows
 * @param known what the run knows so far (its warnings get the dry run's note)
 */
export function stopAtGuards(
  config: ResolvedConfig,
  options: PushOptions,
  ctx: { state: string; history: HistoryEntry },
  previous: PreviousPush | undefined,
  exported: Awaited<ReturnType<typeof exportToFiles>>,
  known: PushResult,
): void {
  const { plan, result } = exported;
  const trips = checkGuards(
    plan,
    previous,
    {
      emails: exported.mustIncludeFound,
      searches: result.searches,
      extras: Object.fromEntries(known.locations.map((l) => [l.slug, l.extraContacts])),
    },
    {
      ...config.safety,
      allowArchive: options.allowArchive,
      allowRename: options.allowRename,
      force: options.force ?? false,
    },
  );
  const unguarded = previous === undefined && options.firstPush !== true;
  if (unguarded && options.dryRun)
    known.warnings.push({
      message: `there is no baseline for this vendor account, so a real push stops (exit 3) until the CSV the vendor last received is adopted (\`adsync adopt FILE\`) or the first push is approved (\`--first-push\`)`,
    });
  const stops = unguarded && !options.dryRun ? [noBaselineTrip(exported.rows, ctx.state), ...trips] : trips;
  if (stops.length === 0) return;
  ctx.history.guards = stops.map((t) => t.message);
  options.onStopped?.(known);
  const approve = trips.length > 0 ? approvalHint(trips, plan.totals, options) : '';
  throw new GuardError(
    `${options.dryRun ? 'this push would be stopped by a safety guard' : 'a safety guard stopped the push; nothing was uploaded'}:\n${stops.map((t) => `  - ${t.guard}: ${t.message}`).join('\n')}`,
    {
      hint:
        stops.length > trips.length
          ? `${noBaselineHint(known.csvPath)}${approve ? ` ${approve}` : ''}`
          : `${archiveSample(plan)}Review the plan in ${known.planPath} (and the CSV ${known.csvPath}). ${approve}`,
      details: {
        trips: stops,
        plan: planCounts(plan),
        planPath: known.planPath,
        csvPath: known.csvPath,
        rejectsPath: known.rejectsPath,
      },
    },
  );
}
