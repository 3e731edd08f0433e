/**
 * Known, reported, not yet fixed decoder bugs (see docs/hardening.md "Findings"). A property that
 * meets one of them does not fail on it: the hit is counted instead, and the bug has its own
 * `{ todo }` test with a regression vector (test/fixtures/fuzz/) that starts passing once it is
 * fixed. Every other contract violation still fails the property. When a bug is fixed, delete its
 * entry here: the properties then check that behaviour again.
 */
import type { DecodeError } from '../../../src/errors';

export interface KnownBug {
  /** Short id, also the regression vector's file name. */
  id: string;
  /** One line: file, what is wrong. */
  summary: string;
  /** True when this DecodeError is that bug showing. */
  matches(e: DecodeError, inputLength: number): boolean;
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  // F3 (xml-end-offset: truncation offset past the input) was listed here until its fix in 1f7dee6.
];

/** Hits per known bug in this process (reported by the tests as diagnostics). */
export const knownHits = new Map<string, number>();

/** The known bug this error is, or null. Counts the hit. */
export function knownBug(e: DecodeError, inputLength: number): KnownBug | null {
  for (const b of KNOWN_BUGS) {
    if (b.matches(e, inputLength)) {
      knownHits.set(b.id, (knownHits.get(b.id) ?? 0) + 1);
      return b;
    }
  }
  return null;
}
