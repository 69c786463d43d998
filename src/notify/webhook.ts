import { request } from 'undici';

import { describeError } from '../errors.js';
import { createDispatcher, type TransportSettings } from '../upload/transport.js';
import type { RunNotice } from './notice.js';

/**
 * POST a run notice as JSON (Slack-compatible: a top-level `text`) over the upload's TLS rules.
 * Never throws: a notification failure is reported back, so it cannot mask the run's own result.
 * @param url the webhook (a secret: never put it in messages)
 * @param notice what to send
 * @param transport TLS floor, CA, proxy and timeout
 * @returns undefined when delivered, or why it was not
 */
export async function sendWebhook(
  url: string,
  notice: RunNotice,
  transport: TransportSettings,
): Promise<string | undefined> {
  const dispatcher = createDispatcher(transport);
  const host = new URL(url).host;
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notice),
      dispatcher,
      signal: AbortSignal.timeout(transport.timeoutMs),
    });
    const answer = (await res.body.text()).slice(0, 200);
    if (res.statusCode >= 200 && res.statusCode < 300) return undefined;
    return `the webhook at ${host} answered ${res.statusCode}${answer ? `: ${answer}` : ''}`;
  } catch (error) {
    const code = (error as { code?: unknown; cause?: { code?: unknown } }).cause?.code;
    return `the webhook at ${host} could not be reached: ${typeof code === 'string' ? `${code}: ` : ''}${describeError(error)}`;
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}
