import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';

import { startHostileVendor } from './hostile-vendor.js';

/** A vendor in front of another that can hold uploads until the test lets them through. */
export interface GatedRelay {
  /** https://127.0.0.1:PORT: point tokenUrl and uploadUrl here. */
  url: string;
  /** Its self-signed certificate (PEM), for target.caFile. */
  certificate: string;
  /**
   * Hold the uploads from now on. `arrived` resolves when one has arrived whole (and is held),
   * so a test knows a run is mid-upload, holding its lock, instead of guessing a time;
   * `abandoned` when that upload's client has gone (a killed run).
   */
  hold(): { arrived: Promise<void>; abandoned: Promise<void> };
  /** Let the held uploads (those whose client is still there) and later ones through. */
  release(): void;
  /** Close it and every connection it holds. */
  stop(): Promise<void>;
}

/**
 * Start a relay on loopback that forwards every request to `upstream` (trusting `upstreamCa`),
 * holding uploads (POSTs other than to a token URL) while `hold()` is in force.
 * @param upstream base URL of the real vendor (the mock)
 * @param upstreamCa its certificate
 */
export async function startGatedRelay(upstream: string, upstreamCa: string): Promise<GatedRelay> {
  let gate = Promise.resolve();
  let open = (): void => undefined;
  let arrived = (): void => undefined;
  let abandoned = (): void => undefined;
  const vendor = await startHostileVendor((req, body, res) => {
    const isUpload = req.method === 'POST' && !/token$/.test(req.url ?? '');
    let gone = false;
    const onGone = isUpload ? abandoned : () => undefined;
    res.on('close', () => {
      gone = true;
      onGone();
    });
    if (isUpload) arrived();
    void (isUpload ? gate : Promise.resolve()).then(() => {
      // A client killed while held never reaches the vendor.
      if (gone) return;
      const forward = request(
        new URL(req.url ?? '/', upstream),
        { method: req.method, headers: { ...req.headers, host: new URL(upstream).host }, ca: upstreamCa },
        (answer: IncomingMessage) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  return {
    url: vendor.url,
    certificate: vendor.certificate,
    hold: () => {
      gate = new Promise<void>((resolve) => (open = resolve));
      return {
        arrived: new Promise<void>((resolve) => (arrived = resolve)),
        abandoned: new Promise<void>((resolve) => (abandoned = resolve)),
      };
    },
    release: () => {
      open();
      gate = Promise.resolve();
    },
    stop: () => vendor.stop(),
  };
}
