/**
 * The one error contract of every decoder (src/errors.ts): malformed input raises `DecodeError`
 * (with a code, an offset within the input and a state name) and nothing else. These helpers run a
 * decode under that contract and turn any other outcome into a test failure that names the input.
 */
import { DecodeError } from '../../../src/errors';
import { knownBug } from './known';
import { saveFinding } from './params';

/** Outcome of one decode: the value, or the DecodeError it raised. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

/**
 * Runs `f`; returns its value or the DecodeError. Anything else thrown (TypeError, RangeError,
 * a stack overflow...) is rethrown with `what` prepended, so the property fails on it; when the
 * `input` is given it is also saved under FUZZ_FINDINGS (a regression vector to be).
 */
export function underContract<T>(what: string, f: () => T, inputLength = -1, input?: Uint8Array): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof DecodeError) {
      try {
        checkError(what, e, inputLength);
      } catch (bad) {
        if (input) saveFinding(what.replace(/\W+/g, '-'), input, (bad as Error).message);
        throw bad;
      }
      return { ok: false, error: e };
    }
    const err = e instanceof Error ? e : new Error(String(e));
    err.message = `${what}: not a DecodeError: ${err.name}: ${err.message}`;
    if (input) err.message += ` (input saved to ${saveFinding(what.replace(/\W+/g, '-'), input, err.message)})`;
    throw err;
  }
}

/** A DecodeError must carry a code, a state, and an offset within the input (EOF = length). */
export function checkError(what: string, e: DecodeError, inputLength: number): void {
  if (typeof e.code !== 'string' || e.code === '') throw new Error(`${what}: DecodeError without code`);
  if (typeof e.state !== 'string' || e.state === '') throw new Error(`${what}: DecodeError without state`);
  if (!Number.isInteger(e.offset) || e.offset < 0) throw new Error(`${what}: DecodeError offset ${e.offset}`);
  if (inputLength >= 0 && e.offset > inputLength && knownBug(e, inputLength) === null) throw new Error(`${what}: DecodeError offset ${e.offset} beyond the input (${inputLength} bytes): ${e.message}`);
  if (!Number.isInteger(e.byte) || e.byte < -1 || e.byte > 255) throw new Error(`${what}: DecodeError byte ${e.byte}`);
}

/** Hex of bytes for failure messages (truncated). */
export function hexOf(b: Uint8Array, max = 400): string {
  const h = Buffer.from(b).toString('hex');
  return h.length > max * 2 ? `${h.slice(0, max * 2)}…(${b.length} bytes)` : h;
}
