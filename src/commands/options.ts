import { InvalidArgumentError } from 'commander';

/**
 * A whole number of zero or more, for options such as --allow-archive N.
 * @param text the option value
 */
export function wholeNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a whole number');
  return n;
}

/**
 * A TCP port, 0 to 65535 (0: any free one).
 * @param text the option value
 */
export function portNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65_535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 picks a free one)');
  return n;
}
