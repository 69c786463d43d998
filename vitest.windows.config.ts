import { defineConfig } from 'vitest/config';

// The Windows suite (scripts/windows/test.sh runs it under Wine with Windows Node 22 and 24): the
// unit suite and the end-to-end tests that need no Linux server. No global set-up: the CLI is
// built on Linux before the copy, and slapd and Samba do not run on Windows, so the values the
// Linux set-up provides say why the directory tests skip (as they do on Linux without slapd).
const skip = 'the Windows suite runs no directory server (slapd and Samba are Linux programs)';
const absent = {
  ldapUrl: 'ldap://127.0.0.1:9',
  ldapsUrl: 'ldaps://127.0.0.1:9',
  caFile: '',
  otherCaFile: '',
  rootPassword: '',
  adLdapUrl: '',
  adLdapsUrl: '',
  adCaFile: '',
  adOtherCaFile: '',
  adSamLdb: '',
  adKrb5Conf: '',
  adKeytab: '',
  adDnsHostName: '',
};

export default defineConfig({
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/windows/**/*.test.ts',
      // The end-to-end commands that need no Linux server (an LDIF export, the mock vendor).
      'test/e2e/everyday.test.ts',
      'test/e2e/demo.test.ts',
      'test/e2e/cli.test.ts',
      'test/e2e/first-push.test.ts',
      'test/e2e/operations.test.ts',
      'test/e2e/terminal.test.ts',
      // Issue 27: the answers a first week meets, on Windows too.
      'test/e2e/init.test.ts',
      'test/e2e/json-usage.test.ts',
      'test/e2e/option-nits.test.ts',
      'test/e2e/output-order.test.ts',
    ],
    setupFiles: ['test/harness/cleanup.ts'],
    provide: { ...absent, slapdSkip: skip, adSkip: skip },
    // Every CLI run starts a Windows process under Wine: seconds, more on a loaded machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
