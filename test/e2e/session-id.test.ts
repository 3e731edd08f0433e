// Layer: e2e (node). The SessionIDs of the sessions a device starts itself: no two of one power-on are
// equal (a server may key its state on them; a repeat once sent a finished device its campaign again,
// test/fault/fumo/sweep.test.ts), each the next of the one before.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer } from '../../target/node/server';
import type { RunningServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import { makeDevice } from '../helpers/device';

let srv: RunningServer | null = null;
after(async () => { await srv?.close(); });

test('sessions of one power-on have distinct, consecutive SessionIDs (1..FFFF, 0 skipped)', async () => {
  srv = await startServer({ script: parseScript({ serverId: 'com.mgmtsrv.manage', packages: [] }), port: 0 });
  const dev = makeDevice({ url: srv.url });
  try {
    for (let i = 0; i < 5; i++) assert.equal((await dev.agent.runSession()).outcome, 'completed');
    const got = dev.logs.filter((l) => l.msg === 'DM session starting').map((l) => parseInt(String(l.fields?.['sessionId']), 16));
    assert.equal(got.length, 5);
    for (let i = 1; i < got.length; i++) assert.equal(got[i], got[i - 1]! === 0xffff ? 1 : got[i - 1]! + 1, got.join(','));
    for (const v of got) assert.ok(v >= 1 && v <= 0xffff, String(v));
  } finally {
    rmSync(dev.dir, { recursive: true, force: true });
  }
});
