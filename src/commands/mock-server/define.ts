import type { Command } from 'commander';

import type { CommandHost } from '../context.js';
import { portNumber, wholeNumber } from '../options.js';
import type { MockServerCommandOptions } from './run.js';

/**
 * `adsync mock-server`: the bundled mock vendor, until stopped.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineMockServer(program: Command, host: CommandHost): void {
  program
    .command('mock-server')
    .description(
      'run the bundled mock vendor (HTTPS, OAuth2 client credentials, Receptionist and iLobby imports)',
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 = pick a free one)', portNumber, 0)
    .option('--cert <file>', 'PEM certificate (default: a self-signed one made at start)')
    .option('--key <file>', 'PEM private key for --cert')
    .option('--ca-out <file>', 'write the server certificate here, for target.caFile')
    .option(
      '--client <id:secret>',
      'an API client (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--clients <file>', 'a file with one id:secret per line')
    .option('--sites <names>', 'comma-separated iLobby site names it accepts')
    .option('--token-lifetime <seconds>', 'token lifetime', wholeNumber, 3600)
    .option('--state <file>', 'keep contacts and uploads in this JSON file')
    .option('--reset', 'start with no contacts even if --state exists', false)
    .option('--fail <n:status>', 'fail the next N uploads with STATUS (500, 503, 429…)')
    .option('--retry-after <seconds>', 'Retry-After for injected failures', wholeNumber)
    .option('--drop <n>', 'drop the connection in the middle of the next N uploads', wholeNumber, 0)
    .option('--delay <ms>', 'delay every response', wholeNumber, 0)
    .addHelpText(
      'after',
      '\nExample:\n  adsync mock-server --port 8443 --client adsync:demo-secret-123 --ca-out mock-ca.pem --state mock.json',
    )
    .action(
      host.action(async (ctx, cmd) => {
        const [{ mockServer }, { renderMockServerReady }] = await Promise.all([
          import('./run.js'),
          import('./render.js'),
        ]);
        const started = await mockServer(cmd.opts<MockServerCommandOptions>(), ctx.cwd);
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
