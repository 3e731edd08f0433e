/**
 * The QuickJS test runner and assert shim against their oracle, node's own node:test + node:assert:
 * test/quickjs/fixtures/runner-cases.ts runs under both, and every test's outcome must agree
 * (pass / fail / skip / todo), including the cases built to fail. Also checks the portability
 * classifier of the bundle builder. Layer: node-only (child processes, esbuild).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT, BUILD } from '../helpers/paths';
import { buildPortableBundle, parseOutcomes, parseSummary } from './bundle';

const FIXTURE = join(ROOT, 'test', 'quickjs', 'fixtures', 'runner-cases.ts');
const OUT = join(BUILD, 'qjs-tests');
const QJS = join(BUILD, 'qjs', 'host', 'qjs');

/** Leaf outcomes of node's TAP output, keyed by "suite > test" (nesting from the "# Subtest:" lines). */
function nodeOutcomes(tap: string): Map<string, string> {
  const stack: string[] = [];
  const all: [string, string][] = [];
  for (const line of tap.split('\n')) {
    const sub = /^( *)# Subtest: (.*)$/.exec(line);
    if (sub) {
      const depth = sub[1]!.length / 4;
      stack.length = depth;
      stack.push(sub[2]!);
      continue;
    }
    const m = /^( *)(ok|not ok) \d+ - (.*?)( # (SKIP|TODO).*)?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const name = [...stack.slice(0, depth), m[3]!].join(' > ');
    all.push([name, m[5] === 'SKIP' ? 'skip' : m[5] === 'TODO' ? 'todo' : m[2] === 'ok' ? 'pass' : 'fail']);
  }
  return leaves(all);
}

/** Drops entries that are the parent of another entry (node lists suites and parents of subtests too). */
function leaves(all: [string, string][]): Map<string, string> {
  const names = all.map(([n]) => n);
  return new Map(all.filter(([n]) => !names.some((o) => o.startsWith(n + ' > '))));
}

describe('QuickJS test runner vs node:test', () => {
  let qjsOut = '';
  let nodeOut = '';
  before(async () => {
    const mk = spawnSync('make', ['-s', '--no-print-directory', 'build/qjs/host/qjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stdout + mk.stderr);
    mkdirSync(OUT, { recursive: true });
    const b = await buildPortableBundle({ outFile: join(OUT, 'runner-cases.qjs.mjs'), noUnit: true, extraFiles: [FIXTURE] });
    assert.deepEqual(b.excluded, []);
    const q = spawnSync(QJS, [b.file], { encoding: 'utf8', timeout: 120_000 });
    qjsOut = q.stdout + q.stderr;
    assert.equal(q.status, 1, `the fixture has failing cases, so qjs must exit 1:\n${qjsOut}`);
    const nodeFile = join(OUT, 'runner-cases.node.mjs');
    await esbuild.build({ entryPoints: [FIXTURE], outfile: nodeFile, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
    // a fresh runner: without NODE_TEST_CONTEXT the child does not think it is nested in ours
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const n = spawnSync(process.execPath, ['--test', '--test-reporter=tap', nodeFile], { encoding: 'utf8', timeout: 120_000, env });
    nodeOut = n.stdout + n.stderr;
  });

  test('every case has the same outcome as under node:test', () => {
    const want = nodeOutcomes(nodeOut);
    const got = leaves([...parseOutcomes(qjsOut)].map(([k, v]) => [k.replace(/^test\/quickjs\/fixtures\/runner-cases\.ts > /, ''), v]));
    assert.ok(want.size >= 60, `node reported only ${want.size} cases:\n${nodeOut}`);
    const diff: string[] = [];
    for (const [name, o] of want) if (got.get(name) !== o) diff.push(`${name}: node ${o}, qjs ${got.get(name) ?? 'missing'}`);
    for (const name of got.keys()) if (!want.has(name)) diff.push(`${name}: only in qjs`);
    assert.deepEqual(diff, [], `outcomes differ:\n${diff.join('\n')}\n--- qjs output ---\n${qjsOut.slice(0, 4000)}`);
  });

  test('cases named FAILS fail and the others do not', () => {
    for (const [name, o] of parseOutcomes(qjsOut)) {
      const leaf = name.split(' > ').pop()!;
      if (leaf.startsWith('FAILS')) assert.equal(o, 'fail', name);
      else assert.notEqual(o, 'fail', name);
    }
  });

  test('summary line counts match the TAP lines', () => {
    const s = parseSummary(qjsOut);
    assert.ok(s, 'summary line present');
    const outcomes = [...parseOutcomes(qjsOut).values()];
    assert.equal(s.tests, outcomes.length);
    assert.equal(s.fail, outcomes.filter((o) => o === 'fail').length);
    assert.equal(s.pass, outcomes.filter((o) => o === 'pass').length);
    assert.equal(s.failures.length, s.fail);
    assert.ok(s.skip >= 4 && s.todo >= 2, JSON.stringify(s));
  });
});

describe('portable test classification', () => {
  test('node-only imports, npm packages and helpers outside the allowed set are excluded', async () => {
    const dir = join(ROOT, 'test', 'quickjs', 'fixtures', '.tmp-classify');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      const files = {
        'ok.test.ts': "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { toHex } from '../../../../src/util/bytes';\ntest('x', () => assert.equal(toHex(new Uint8Array([1])), '01'));\n",
        'fs.test.ts': "import { test } from 'node:test';\nimport { readFileSync } from 'node:fs';\ntest('x', () => readFileSync);\n",
        'npm.test.ts': "import { test } from 'node:test';\nimport * as fc from 'fast-check';\ntest('x', () => fc);\n",
        'paths.test.ts': "import { test } from 'node:test';\nimport { ROOT } from '../../../helpers/paths';\ntest('x', () => ROOT);\n",
      };
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      const b = await buildPortableBundle({ outFile: join(OUT, 'classify.mjs'), noUnit: true, extraFiles: Object.keys(files).map((f) => join(dir, f)) });
      assert.deepEqual(b.included, ['test/quickjs/fixtures/.tmp-classify/ok.test.ts']);
      const reasons = new Map(b.excluded.map((e) => [e.file.split('/').pop(), e.reason]));
      assert.match(reasons.get('fs.test.ts') ?? '', /node:fs/);
      assert.match(reasons.get('npm.test.ts') ?? '', /fast-check/);
      assert.match(reasons.get('paths.test.ts') ?? '', /node:(fs|path|url)|test\/helpers\/paths\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
