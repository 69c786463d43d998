import { GssFailure, type GssProvider } from './gss.js';

/** Placeholder until the SSPI provider lands (branch wt/i28s). */
export const sspiProvider: GssProvider = {
  name: 'Windows SSPI',
  start() {
    return Promise.reject(new GssFailure('no-library', 'Windows SSPI is not built yet'));
  },
};
