import { hostname } from 'node:os';

import type { ResolvedConfig } from '../config/types.js';
import { describeError } from '../errors.js';
import { redactValues } from '../config/secrets.js';
import { noticeKind, runNotice, type RunNoticeInput } from './notice.js';

/** What the webhook needs of a config: its notify section, and the TLS and proxy it shares. */
export type NotifyConfig = Pick<ResolvedConfig, 'filepath' | 'notify'> & {
  target: Pick<ResolvedConfig['target'], 'tlsMinVersion' | 'proxy'>;
};

/** Where a notification's outcome is told. */
export interface NotifyDeps {
  /** Environment (proxy variables). */
  env: NodeJS.ProcessEnv;
  /** Secrets out of every field sent. */
  redact: (text: string) => string;
  /** The notice could not be sent: why. */
  onFailure: (problem: string) => void;
  /** The notice was sent: which outcome it announced. */
  onSent: (outcome: string) => void;
}

/**
 * Send the webhook for a run, when the config asks for this outcome. A failure to notify is
 * reported through `deps` and changes nothing else.
 * @param config the run's config (notify section, TLS settings)
 * @param run what happened
 * @param deps environment, redaction and where the outcome is told
 */
export async function notifyRun(config: NotifyConfig, run: RunNoticeInput, deps: NotifyDeps): Promise<void> {
  const notify = config.notify;
  if (!notify || !notify.on.includes(noticeKind(run.exitCode))) return;
  const safe = redactValues(runNotice(run, hostname()), deps.redact);
  let problem: string | undefined;
  try {
    // Loaded only when there is something to send: most runs never need an HTTP client here.
    const { sendWebhook } = await import('./webhook.js');
    const { transportFor } = await import('../upload/settings.js');
    problem = await sendWebhook(
      notify.webhook,
      safe,
      transportFor(config, {
        env: deps.env,
        caFile: notify.caFile,
        trustSystemStore: notify.trustSystemStore,
        timeoutMs: 10_000,
      }),
    );
  } catch (error) {
    problem = describeError(error);
  }
  if (problem) deps.onFailure(problem);
  else deps.onSent(safe.adsync.outcome);
}
