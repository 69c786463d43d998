import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import type { CommandHost } from '../context.js';
import { mockServerCommand } from './options.js';

/**
 * `adsync mock-server`: the bundled mock vendor, until stopped.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineMockServer(program: CommandUnknownOpts, host: CommandHost): void {
  const command = mockServerCommand(program).addHelpText(
    'after',
    '\nExample:\n  adsync mock-server --port 8443 --client adsync:demo-secret-123 --ca-out mock-ca.pem --state mock.json',
  );
  command.action(
    host.action(command, async (ctx) => {
      const [{ mockServer }, { renderMockServerReady }] = await Promise.all([
        import('./run.js'),
        import('./render.js'),
      ]);
      const started = await mockServer(command.opts(), ctx.cwd);
      ctx.addSecret(...started.clients.map((c) => c.secret));
      const { server, caFile } = started;
      const stopped = new Promise<void>((resolve) => {
        ctx.untilStopped(() => {
          resolve();
        });
      });
      // The first line on stdout says where it listens: one JSON line with --json, else the URL.
      await ctx.emitReport(
        { url: server.url, caFile, clients: started.clients.map((c) => c.id) },
        { compact: true },
      );
      ctx.show(renderMockServerReady(ctx.style, server.url, caFile, started.clients, ctx.json));
      await stopped;
      await started.stop();
      ctx.show([{ level: 'info', text: 'mock vendor stopped' }]);
      return undefined;
    }),
  );
}
