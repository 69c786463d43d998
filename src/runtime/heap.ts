import { setFlagsFromString } from 'node:v8';

/*
 * Node's documentation warns that changing V8 flags after start-up may be unpredictable. It is
 * kept here because it was measured (BENCHMARKS.md, "Rejected rows": `npm run bench:rejects --
 * --only extra-800k,ldif-300k`, the same build with both calls removed, alternating, two rounds,
 * 2-core machine at load 5): with them, peak RSS 160 / 162 MB (extra-800k) and 170 / 170 MB
 * (ldif-300k); without, 257 / 248 MB and 313 / 322 MB, over the 200 MB the bench requires. Wall
 * times did not favour either (51.6 / 67.7 s against 92.7 / 73.0 s; 91.7 / 36.1 s against
 * 49.4 / 37.7 s, all inflated by the load). A launcher flag (NODE_OPTIONS accepts
 * `--max-semi-space-size`, not the growth factor or `--heap-growing-percent`) would apply to every
 * run, also the small ones that are faster with V8's defaults, so the flags are set only once a
 * run is known to be large. Only flags V8 reads at each collection or growth are set.
 */

/**
 * How much V8 lets the old generation grow past the live heap before its next full collection,
 * once an export is known to be large. V8's own choice under a push's allocation rate is up to
 * four times the live heap: at 1M people the live heap stays at 50–110 MB, but the process peaked
 * at 1.07–1.09 GB of RSS (34.3–35.2 s). With 50 %, 637 MB at 34.9 s; with 30 %, 614–617 MB but
 * 37.2–40.8 s (2-core bench machine, `npm run bench` directory).
 */
const LARGE_EXPORT_HEAP_GROWING_PERCENT = 50;

let tightened = false;

/**
 * Give the process the heap shape a large export wants: collect the old generation sooner, so
 * that garbage (rows written to sorted runs, pages read) does not pile up to several times what
 * is alive. Called when the sort first has to spill to disk; a smaller export (which fits the
 * sort's memory) keeps V8's defaults, which are faster for it. The setting is process-wide and
 * read by V8 at each collection, so it also applies to the search thread.
 */
export function tightenHeapForLargeExport(): void {
  if (tightened) return;
  tightened = true;
  setFlagsFromString(`--heap-growing-percent=${String(LARGE_EXPORT_HEAP_GROWING_PERCENT)}`);
}

let held = false;

/**
 * Stop the young generation from growing further, once a run is known to reject many rows, and
 * tighten the old generation as for a large export. Rejected rows stream to disk and die young,
 * but V8 doubles the young generation whenever enough has survived since it last grew, which in
 * a long run it always has: with 800,000 rejected rows of an `extraContacts` file the young
 * generation grew to 134 MB of a 240–280 MB peak RSS while under 30 MB of the heap was alive; held
 * at the size it had reached, the peak was 168 MB at the same wall time (`npm run
 * bench:rejects`). The growth factor, unlike the size limit, is read by V8 each time it would grow.
 */
export function tightenHeapForManyRejects(): void {
  tightenHeapForLargeExport();
  if (held) return;
  held = true;
  setFlagsFromString('--semi-space-growth-factor=1');
}
