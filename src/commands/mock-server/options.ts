import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import { portNumber, wholeNumber } from '../options.js';

/**
 * The `adsync mock-server` command with its options, declared once:
 * {@link MockServerCommandOptions} is inferred from them.
 * @param program the program to add it to
 */
export function mockServerCommand(program: CommandUnknownOpts) {
  return program
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
      (v: string, all: readonly string[]) => [...all, v],
      [],
    )
    .option('--clients <file>', 'a file with one id:secret per line')
    .option('--sites <names>', 'comma-separated iLobby site names it accepts')
    .option('--token-lifetime <seconds>', 'token lifetime', wholeNumber, 3600)
    .option('--state <file>', 'keep contacts and uploads in this JSON file')
    .option('--reset', 'start with no contacts even if --state exists', false)
    .option('--fail <n:status>', 'fail the next N uploads with STATUS (500, 503, 429…)')
    .option('--retry-after <seconds>', 'Retry-After for injected failures', wholeNumber)
    .option('--drop <n>', 'drop the connection in the middle of the next N uploads', wholeNumber, 0)
    .option('--delay <ms>', 'delay every response', wholeNumber, 0);
}

/** Options of `adsync mock-server`, as commander parses them (defaults applied). */
export type MockServerCommandOptions = ReturnType<ReturnType<typeof mockServerCommand>['opts']>;
