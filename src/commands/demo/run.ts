import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { loadConfig } from '../../config/load.js';
import { privateFileNote } from '../../config/starter.js';
import type { ResolvedConfig } from '../../config/types.js';
import { GuardError, UsageError, describeError } from '../../errors.js';
import { startMockServer } from '../../mock-server/server.js';
import { readBundledText } from '../../runtime/assets.js';
import type { UploadEvent } from '../../upload/client.js';
import { check, type CheckResult } from '../check/run.js';
import type { ExportEvent } from '../../pipeline/export.js';
import { push, type PushResult } from '../../pipeline/push.js';
import { untilStopped } from '../../util/until-stopped.js';
import { applyChange, CLIENT_ID, demoConfig, FILES, type DemoChange } from './company.js';
import { makeDir } from '../../io/make-dir.js';

/**
 * `adsync demo`: the whole job on a sample company, with nothing to install or configure. The
 * company is an LDIF file shipped with adsync (read by the `kind: ldif` source), the vendor is
 * the bundled mock server started in this process on 127.0.0.1 with a fresh self-signed
 * certificate, and every step is the real command function a user would run. Nothing leaves
 * the machine: the only connections are to the loopback mock, with TLS verified against the
 * certificate written into the demo directory.
 */

/** The sample company, a package-relative bundled file (an SEA asset in the single executable). */
export const DEMO_COMPANY = 'examples/demo/company.ldif';

/** The file that marks a directory as the demo's own, so a re-run may replace its files. */
export const DEMO_MARKER = '.adsync-demo';

/** One step of the demo, with what it produced. */
export type DemoStep =
  | {
      kind: 'check';
      /** The equivalent command line (without --config). */
      args: string[];
      /** Why this step, in one sentence. */
      about: string;
      result: CheckResult;
    }
  | { kind: 'push'; args: string[]; about: string; startedAt: Date; result: PushResult }
  | { kind: 'change'; about: string; file: string; changes: DemoChange[] }
  | {
      kind: 'guard';
      args: string[];
      about: string;
      /** The guard's verdict: nothing was uploaded. */
      error: { code: string; message: string; hint?: string | undefined };
      /** The CSV and plan the stopped run wrote for review. */
      files?: { csvPath: string; planPath: string };
    };

/** A file the demo wrote. */
export interface DemoFile {
  /** What it is: config, LDIF, CSV, rejects, plan, state… */
  what: string;
  /** Absolute path. */
  path: string;
  /** For a run's CSV, rejects and plan: the step that wrote it. */
  step?: number;
}

/** The demo's set-up, known before the first step. */
export interface DemoSetup {
  /** The demo directory. */
  dir: string;
  /** Whether an earlier demo's files there were replaced. */
  reused: boolean;
  /** The config written. */
  configPath: string;
  /** The LDIF copy the demo reads and edits. */
  ldifPath: string;
  /** The in-process mock vendor. */
  vendorUrl: string;
  /** Steps to come. */
  totalSteps: number;
}

/** Everything the demo did. */
export interface DemoResult extends DemoSetup {
  /** The steps, in order. */
  steps: DemoStep[];
  /** Files written, in the demo directory. */
  files: DemoFile[];
  /** The mock vendor's address book at the end. */
  vendor: { active: number; archived: number };
}

/** Options for {@link demo}. */
export interface DemoOptions {
  /** The demo directory (absolute). */
  dir: string;
  /** Called once the directory, config and mock vendor are ready. */
  onSetup?: ((setup: DemoSetup) => void) | undefined;
  /** Called after each step. */
  onStep?: ((step: DemoStep, index: number) => void) | undefined;
  /** Directory progress (spinner, --verbose). */
  onEvent?: ((event: ExportEvent) => void) | undefined;
  /** Upload progress. */
  onUploadEvent?: ((event: UploadEvent) => void) | undefined;
  /** Told every secret the demo makes or sees (client secret, tokens), so output can redact it. */
  onSecret?: ((secret: string) => void) | undefined;
  /** Redaction for what push writes to the run history. */
  redact?: ((text: string) => string) | undefined;
  /** The run's limits (time limit, Ctrl-C): every step stops safely when it aborts. */
  signal?: AbortSignal | undefined;
}

const TOTAL_STEPS = 6;

/** The CSV and plan a guard-stopped push wrote (GuardError's typed details). */
function guardFiles(error: GuardError): { files: { csvPath: string; planPath: string } } {
  return { files: { csvPath: error.details.csvPath, planPath: error.details.planPath } };
}

/**
 * Use `dir` for the demo: create it, or take it over when it is empty or an earlier demo's;
 * refuse anything else, so the demo never overwrites someone's files.
 */
async function prepareDirectory(dir: string): Promise<boolean> {
  let entries: string[];
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) {
      throw new UsageError(`${dir} exists and is not a directory`, {
        hint: 'Give the demo a directory of its own: adsync demo --dir ./adsync-demo',
      });
    }
    entries = await readdir(dir);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new UsageError(`cannot use ${dir} for the demo: ${describeError(error)}`, { cause: error });
    }
    makeDir(dir);
    return false;
  }
  if (entries.length === 0) return false;
  if (!entries.includes(DEMO_MARKER)) {
    throw new UsageError(`${dir} is not empty and was not made by adsync demo; not touching its files`, {
      hint: 'Run the demo in a new or empty directory: adsync demo --dir ./adsync-demo',
    });
  }
  await Promise.all(
    Object.values(FILES).map((name) => rm(join(dir, name), { recursive: true, force: true })),
  );
  return true;
}

async function listFiles(dir: string, what: (name: string) => string | undefined): Promise<DemoFile[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.sort().flatMap((name) => {
    const kind = what(name);
    return kind === undefined ? [] : [{ what: kind, path: join(dir, name) }];
  });
}

/** A demo push with the flags of one step, and when it started. */
type DemoPush = (extra?: {
  dryRun?: boolean;
  allowArchive?: number;
  firstPush?: boolean;
}) => Promise<{ startedAt: Date; result: PushResult }>;

/** The real push, as the demo's steps call it: distinct start times, secrets reported, no proxy. */
function demoPush(config: ResolvedConfig, options: DemoOptions): DemoPush {
  // Each run's files are named by its start time: keep the stamps apart even on a fast machine.
  let last = 0;
  const tick = (): Date => new Date((last = Math.max(Date.now(), last + 1)));
  return async (extra = {}) => {
    const startedAt = tick();
    const result = await push(config, {
      dryRun: extra.dryRun === true,
      allowArchive: extra.allowArchive,
      firstPush: extra.firstPush === true,
      now: startedAt,
      onEvent: options.onEvent,
      onUploadEvent: options.onUploadEvent,
      onToken: (token) => options.onSecret?.(token),
      redact: options.redact,
      signal: options.signal,
      // No proxy from the environment: the demo talks to 127.0.0.1 only.
      env: {},
    });
    return { startedAt, result };
  };
}

/**
 * The demo's steps: check → push --dry-run → push --first-push → change the directory → push
 * (stopped by a safety guard, as designed) → push --allow-archive. Each step is recorded as it ends.
 */
async function runSteps(
  config: ResolvedConfig,
  ldifPath: string,
  options: DemoOptions,
  record: (step: DemoStep) => void,
): Promise<void> {
  const run = demoPush(config, options);
  record({
    kind: 'check',
    args: ['check'],
    about: 'Is the config valid, can the directory be read, what would each location send?',
    result: await untilStopped(check(config, { previewRows: 3, onEvent: options.onEvent }), options.signal),
  });
  record({
    kind: 'push',
    args: ['push', '--dry-run'],
    about: 'A dry run writes the CSV and the rejects file for inspection and uploads nothing.',
    ...(await run({ dryRun: true })),
  });
  record({
    kind: 'push',
    args: ['push', '--first-push'],
    about:
      'The first push: there is no baseline yet, so adsync cannot guard it and asks for it to be approved (--first-push here, where the vendor is empty; `adsync adopt` the file the vendor holds when migrating). Then the upload over HTTPS.',
    ...(await run({ firstPush: true })),
  });

  const changed = applyChange(await readFile(ldifPath, 'utf8'));
  await writeFile(ldifPath, changed.text);
  record({
    kind: 'change',
    about: 'Meanwhile, in the directory: a new hire, a promotion and three leavers (a shift that ended).',
    file: ldifPath,
    changes: changed.changes,
  });

  const archives = changed.changes.filter((c) => c.kind === 'removed').length;
  try {
    record({
      kind: 'push',
      args: ['push'],
      about: 'The next push sends only the difference.',
      ...(await run()),
    });
  } catch (error) {
    if (!(error instanceof GuardError)) throw error;
    record({
      kind: 'guard',
      args: ['push'],
      about: `The leavers are more than ${config.safety.maxArchivePercent}% of the warehouse's contacts (safety.maxArchivePercent) and more than ${config.safety.archiveFloor} (safety.archiveFloor, which lets a small site lose a person or two a night): a safety guard stops the push before anything is uploaded, because the vendor would archive those contacts.`,
      error: { code: error.code, message: error.message, hint: error.hint },
      ...guardFiles(error),
    });
    record({
      kind: 'push',
      args: ['push', '--allow-archive', String(archives)],
      about: 'Approved for this one run, as an admin would after reviewing the plan.',
      ...(await run({ allowArchive: archives })),
    });
  }
}

/** The CSV, rejects and plan each run wrote, numbered by step (a guard-stopped run wrote them too). */
function runFiles(steps: readonly DemoStep[]): DemoFile[] {
  return steps.flatMap((step, i): DemoFile[] => {
    const files =
      step.kind === 'push'
        ? step.result
        : step.kind === 'guard' && step.files
          ? { ...step.files, rejectsPath: step.files.csvPath.replace(/\.csv$/, '.rejects.csv') }
          : undefined;
    if (!files) return [];
    return [
      { what: 'CSV', path: files.csvPath, step: i + 1 },
      { what: 'rejects', path: files.rejectsPath, step: i + 1 },
      { what: 'plan', path: files.planPath, step: i + 1 },
    ];
  });
}

/** Every file the demo wrote, in the order a reader would look at them. */
async function demoFiles(
  setup: DemoSetup,
  stateDir: string,
  steps: readonly DemoStep[],
): Promise<DemoFile[]> {
  return [
    { what: 'config', path: setup.configPath },
    { what: 'directory (LDIF)', path: setup.ldifPath },
    { what: `client secret (${privateFileNote().short})`, path: join(setup.dir, FILES.secret) },
    { what: 'mock vendor certificate', path: join(setup.dir, FILES.ca) },
    ...runFiles(steps),
    ...(await listFiles(stateDir, (name) =>
      name === 'runs.jsonl' ? 'run history' : name.endsWith('.json') ? 'state (last good push)' : undefined,
    )),
    { what: "mock vendor's address book", path: join(setup.dir, FILES.vendor) },
  ];
}

/**
 * Run the demo: write a config and a copy of the sample company into `dir`, start the mock
 * vendor in-process, then run the steps (see {@link runSteps}). The vendor is always stopped, also
 * when a step fails.
 * @param options the directory and the callbacks that show progress
 * @throws {UsageError} when `dir` holds files that are not an earlier demo's
 * @throws {AdsyncError} when a step fails unexpectedly (the mock vendor is stopped first)
 */
export async function demo(options: DemoOptions): Promise<DemoResult> {
  const { dir } = options;
  const reused = await prepareDirectory(dir);
  await writeFile(
    join(dir, DEMO_MARKER),
    'This directory was written by `adsync demo`; it may replace its files.\n',
  );

  const secret = randomBytes(24).toString('base64url');
  options.onSecret?.(secret);
  const company = readBundledText(DEMO_COMPANY);
  const ldifPath = join(dir, FILES.ldif);
  const configPath = join(dir, FILES.config);
  await writeFile(ldifPath, company);
  await writeFile(join(dir, FILES.secret), `${secret}\n`, { mode: 0o600 });

  const server = await startMockServer({
    host: '127.0.0.1',
    port: 0,
    clients: [{ id: CLIENT_ID, secret }],
    statePath: join(dir, FILES.vendor),
    reset: true,
  });
  try {
    await writeFile(join(dir, FILES.ca), server.certificate);
    await writeFile(configPath, demoConfig(server.url), { mode: 0o600 });
    const loaded = await loadConfig({ configPath, cwd: dir, env: {} });
    for (const s of loaded.secrets) options.onSecret?.(s);
    const config = loaded.config;

    const setup: DemoSetup = {
      dir,
      reused,
      configPath,
      ldifPath,
      vendorUrl: server.url,
      totalSteps: TOTAL_STEPS,
    };
    options.onSetup?.(setup);
    const steps: DemoStep[] = [];
    await runSteps(config, ldifPath, options, (step) => {
      steps.push(step);
      options.onStep?.(step, steps.length);
    });

    const contacts = server.contacts();
    return {
      ...setup,
      steps,
      files: await demoFiles(setup, config.stateDir, steps),
      vendor: {
        active: contacts.filter((c) => c.status === 'active').length,
        archived: contacts.filter((c) => c.status !== 'active').length,
      },
    };
  } finally {
    await server.stop();
  }
}
