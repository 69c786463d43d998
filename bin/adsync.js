#!/usr/bin/env node
// Thin loader: all behaviour (including exit codes) lives in the built CLI.
import { main } from '../dist/cli/main.js';

const code = await main(process.argv);
process.exitCode = code;
// A run stopped by its time limit can leave a hung connection behind: do not wait on it.
setTimeout(() => process.exit(code), 3000).unref();
