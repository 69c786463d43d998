import type { ResolvedConfig } from '../../config/types.js';
import { targetOf } from '../../targets/registry.js';
import type { VendorCheck, VendorCheckOptions } from '../../upload/vendor-check.js';
import { Lines, type Line, type Style } from '../output.js';

export type { VendorCheck } from '../../upload/vendor-check.js';

/**
 * The vendor part of `adsync check` (its own section of the result and the output).
 * @param config the resolved config
 * @param options `--insecure-http`, the environment, token redaction and the run's limit
 */
export function checkVendorSide(config: ResolvedConfig, options: VendorCheckOptions): Promise<VendorCheck> {
  return targetOf(config).check(options);
}

/**
 * The vendor section of check's human report.
 * @param style the terminal's emphasis
 * @param vendor what the vendor check found
 */
export function renderVendorCheck(style: Style, vendor: VendorCheck): Line[] {
  const out = new Lines(style);
  const c = style;
  if (vendor.status === 'skipped') {
    out.info(`${c.yellow('-')} vendor: not checked: ${vendor.skipped ?? ''}`);
    if (vendor.needs && vendor.needs.length > 0)
      out.info(
        `    ${c.cyan('hint:')} set ${vendor.needs.join(', ')} to check the upload and token URLs, TLS and the client's token too (push needs them)`,
      );
    return out.lines;
  }
  // An endpoint gets ✔ only for what was verified of it: the token URL by its TLS and token
  // lines, the upload URL by the probe (an https:// URL proves nothing about its path).
  if (vendor.tls)
    out.info(`${c.green('✔')} vendor: ${vendor.tls.url}: ${vendor.tls.version}, certificate trusted`);
  else if (vendor.tlsNote) out.info(`${c.yellow('-')} vendor: TLS ${vendor.tlsNote}`);
  if (vendor.token)
    out.info(
      `${c.green('✔')} vendor: ${vendor.token.url} issued a token for client ${vendor.token.clientId}`,
    );
  const upload = vendor.endpoints?.find((e) => e.key === 'uploadUrl')?.url;
  const probe = vendor.upload;
  if (probe?.verified)
    out.info(`${c.green('✔')} vendor: target.uploadUrl ${probe.url} exists: ${probe.checked}`);
  else if (probe?.verdict === 'unverified')
    out.info(`${c.yellow('?')} vendor: target.uploadUrl ${probe.url}: ${probe.checked}`);
  if (vendor.error) {
    out.info(`${c.red('✘')} vendor: ${vendor.error.message}`);
    if (vendor.error.hint) out.info(`    ${c.cyan('hint:')} ${vendor.error.hint}`);
  }
  if (upload !== undefined && (vendor.failedStep === 'tls' || vendor.failedStep === 'token'))
    out.info(`${c.yellow('-')} vendor: target.uploadUrl ${upload}: not checked (a step before it failed)`);
  if (vendor.note) out.info(`${c.yellow('-')} vendor: ${vendor.note}`);
  return out.lines;
}
