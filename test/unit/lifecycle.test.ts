import { describe, expect, it } from 'vitest';

import { stopSignals } from '../../src/cli/lifecycle.js';
import { watchdogMessage } from '../../src/cli/watchdog.js';

describe('how a run is stopped and how it ends, per platform', () => {
  it('asks for the safe stop on SIGINT, SIGTERM and SIGHUP everywhere, and on Ctrl-Break on Windows', () => {
    expect(stopSignals('linux')).toEqual(['SIGINT', 'SIGTERM', 'SIGHUP']);
    expect(stopSignals('darwin')).toEqual(['SIGINT', 'SIGTERM', 'SIGHUP']);
    expect(stopSignals('win32')).toEqual(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']);
  });

  it("names the watchdog's real end: SIGKILL (137 in a shell) on POSIX, exit code 1 (0x1) on Windows", () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const message = watchdogMessage(platform);
      expect(message).toContain('the run did not end within 15 s after its time limit');
      expect(message).toContain('killed with SIGKILL: a shell shows exit 137');
      expect(message).not.toContain('0x1');
    }
    const windows = watchdogMessage('win32');
    expect(windows).toContain('the run did not end within 15 s after its time limit');
    expect(windows).toContain('exit code 1, which Task Scheduler shows as "Last Run Result" 0x1');
    expect(windows).not.toContain('137');
    expect(windows).not.toContain('SIGKILL');
  });
});
