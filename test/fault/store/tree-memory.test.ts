// Layer: fault/measurement (node-only). A 10,000-node tree saved and loaded through a real
// directory, measured in a child process with --expose-gc: heap held by the live tree, by the
// tree after a reload, and the record payload. Bounds are generous (fixed-memory regression guard);
// the numbers go to the test diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tree } from '../../../src/tree/Tree';
import { valueIn } from '../../../src/csp/Csp';
import { storedCsp } from '../../../src/csp/stored';
import { FakePlatform } from '../../helpers/fake-platform';
import { NodeStorage } from './node-storage';

const CHILD = 'OMADM_TREE_MEM_CHILD';

function heap(): number {
  (globalThis as { gc?: () => void }).gc!();
  (globalThis as { gc?: () => void }).gc!();
  return process.memoryUsage().heapUsed;
}

function child(dir: string, phase: string): void {
  const platform = Object.assign(new FakePlatform(1), { storage: new NodeStorage(dir) });
  const before = heap();
  const tree = new Tree(platform, { rootAcl: 'Add=*&Get=*&Replace=*&Delete=*' });
  tree.addCsp(storedCsp('./Vendor/big'));
  if (phase === 'build') {
    for (let g = 0; g < 100; g++) for (let n = 0; n < 100; n++) {
      if (tree.add('srv1', `./Vendor/big/g${g}/n${n}`, valueIn(`value-${g}-${n}`)).status !== 200) throw new Error('add failed');
    }
    const built = heap();
    tree.commit();
    const u = tree.usage();
    process.stdout.write(JSON.stringify({ nodes: u.nodes, heap: built - before, payload: u.lastPayloadBytes, bound: u.payloadBound }));
  } else {
    const loaded = heap();
    process.stdout.write(JSON.stringify({ nodes: tree.usage().nodes, heap: loaded - before, state: tree.loadState }));
  }
}

if (process.env[CHILD]) {
  const [dir, phase] = process.env[CHILD].split('|');
  child(dir!, phase!);
} else {
  test('10,000-node tree: heap held, payload size, reload', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'omadm-treemem-'));
    const self = fileURLToPath(import.meta.url);
    const go = (phase: string) => {
      const r = spawnSync(process.execPath, ['--expose-gc', self], { env: { ...process.env, [CHILD]: `${dir}|${phase}` }, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, number | string>;
    };
    try {
      const b = go('build');
      const l = go('load');
      t.diagnostic(`build: ${b.nodes} nodes, live tree heap ${((b.heap as number) / 1048576).toFixed(2)} MiB, payload ${b.payload} B (bound ${b.bound} B)`);
      t.diagnostic(`load: ${l.nodes} nodes, heap after load ${((l.heap as number) / 1048576).toFixed(2)} MiB, state ${l.state}`);
      assert.equal(l.state, 'loaded');
      assert.equal(l.nodes, b.nodes);
      assert.ok((b.nodes as number) > 10000);
      assert.ok((b.payload as number) <= 1048576);
      // ~10k nodes with small values: a few MiB on V8. 24 MiB flags a leak or a per-node blow-up.
      assert.ok((b.heap as number) < 24 * 1048576, `live tree heap ${b.heap}`);
      assert.ok((l.heap as number) < 24 * 1048576, `loaded tree heap ${l.heap}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
