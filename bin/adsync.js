#!/usr/bin/env node
// Thin loader: all behaviour (including exit codes) lives in the built CLI.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
