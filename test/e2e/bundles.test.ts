// End-to-end (node-only): the QuickJS bundles reference no Node built-ins (needs `make build`).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD } from '../helpers/paths';

const BUNDLES = ['core.mjs', 'core.min.mjs', 'omadm-qjs.mjs'].map((f) => join(BUILD, 'dist', f));

describe('portable bundles', () => {
  for (const f of BUNDLES) {
    test(`${f.split('/').pop()}: no require(, node:, Buffer or process`, { skip: existsSync(f) ? false : 'not built (make build)' }, () => {
      const src = readFileSync(f, 'utf8');
      const hits = [...src.matchAll(/\brequire\s*\(|["'`]node:|\bBuffer\b|\bprocess\b/g)].map((m) => src.slice(Math.max(0, m.index! - 40), m.index! + 30));
      assert.deepEqual(hits, []);
    });
  }

  test('the check itself catches a Node reference', () => {
    const bad = 'const x = Buffer.from([1]); import("node:fs"); process.exit(0); require("x");';
    assert.equal([...bad.matchAll(/\brequire\s*\(|["'`]node:|\bBuffer\b|\bprocess\b/g)].length, 4);
  });
});
