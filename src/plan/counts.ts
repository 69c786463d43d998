/**
 * The counts of a plan, as the run's report, its history line, a guard's error and the check of the
 * vendor's answer all carry them: one shape, so a count added to the plan reaches all four.
 */
export interface PlanCounts {
  create: number;
  update: number;
  archive: number;
  /** Archives that are renames (also counted in create and archive); absent in older history lines. */
  rename?: number;
  unchanged: number;
  /** No earlier push: everyone is new. */
  firstPush: boolean;
}
