/**
 * Wait for `work`, unless `signal` aborts first: then reject at once with the signal's reason.
 * The work itself is not cancelled (its outcome is ignored), so use this only where abandoning
 * it is safe — a directory read or a token request, never a state write.
 * @param work what to wait for
 * @param signal stops the wait
 */
export function untilStopped<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * A sleep that ends early, rejecting with the signal's reason, when the signal aborts.
 * @param ms how long
 * @param signal stops the sleep
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return untilStopped(
    new Promise<void>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
    signal,
  );
}
