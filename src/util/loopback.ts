import { isIP } from 'node:net';

/**
 * Whether a host name (as in a URL: `localhost`, `127.0.0.5`, `[::1]` or `::1`) names this
 * machine's loopback interface. The one place that decides it: a cleartext bind, an http://
 * upload under --insecure-http and the test servers all ask here.
 * @param host a URL's hostname
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}
