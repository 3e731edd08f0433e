/**
 * Node-only: runs the C unit tests of native/core (built by `make native` with ASan + UBSan into
 * build/native/test/). Each binary must exit 0; its output is shown when it does not.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';

const dir = join(BUILD, 'native', 'test');
/** One binary per test/native/test_*.c. */
const names = readdirSync(join(ROOT, 'test', 'native')).filter((f) => /^test_.*\.c$/.test(f)).map((f) => f.slice(0, -2));

describe('native/core C unit tests (ASan + UBSan)', () => {
  for (const name of names) {
    const bin = join(dir, name);
    test(name, { skip: existsSync(bin) ? false : `${bin} not built (make native)` }, () => {
      const r = spawnSync(bin, [], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } });
      const out = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.error, undefined, `${name} could not run: ${String(r.error)}`);
      assert.equal(r.status, 0, `${name} exited with ${r.status} (signal ${r.signal}):\n${out}`);
      assert.match(r.stdout, / 0 failed$/m, out);
    });
  }
});
