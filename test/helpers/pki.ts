/** Throw-away PKI for TLS tests (made once per test process in a temp dir; see target/node/pki.ts). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki as make } from '../../target/node/pki';
import type { Pki } from '../../target/node/pki';

export type { Pki };
let cached: Pki | null = null;

export function makePki(): Pki {
  cached ??= make(mkdtempSync(join(tmpdir(), 'omadm-pki-')));
  return cached;
}
