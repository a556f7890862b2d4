import { InvalidArgumentError } from 'commander';

/** A commander parser for a whole number in [1, max]; anything else is a usage error (exit 2). */
export const positiveInt =
  (name: string, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    }
    return Number(value);
  };
