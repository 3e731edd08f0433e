// Load (node-only): many sessions of the device agent against the loopback DM server. The server
// runs in a child process so the heap measured is the device's alone. Sessions are real: HTTPS with
// a test CA, md5 credentials both ways (nonces rotated and persisted with fdatasync every session),
// Gets, an Add, a Replace and a tree listing, DevInfo in package 1.
//
//   sequential  one device, LOAD_SESSIONS sessions (default 500; `make load`: 10 000), in a child
//               process started with --no-opt: the heap after a forced GC is sampled every 100
//               sessions, and its growth from session 100 to the last must stay under GROWTH_MARGIN
//               (1.5 MiB) whatever the count. With the optimising compiler on, V8 also accumulates
//               re-optimised code (a heap-snapshot diff over 1500 sessions showed only code objects:
//               deopt data, relocation info), which is not the client's memory and is reported apart.
//   concurrent  LOAD_DEVICES devices (default 20; `make load`: 50) in this process, each with its own
//               storage and agent, run ROUNDS sessions at the same time; all complete, the server
//               records no failure, and the heap per live device is reported and bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { makePki } from '../helpers/pki';
import { makeDevice } from '../helpers/device';
import type { TestDevice } from '../helpers/device';

const SID = 'com.mgmtsrv.manage';
const SESSIONS = Number(process.env['LOAD_SESSIONS'] ?? '500');
const DEVICES = Number(process.env['LOAD_DEVICES'] ?? '20');
const ROUNDS = 3;
/** Allowed heap growth (after GC, optimiser off) between session CHECKPOINT and the last one, bytes. */
const GROWTH_MARGIN = 1.5 * 1024 * 1024;
const CHECKPOINT = 100;
const ROLE = process.env['OMADM_LOAD_ROLE'];

const SCRIPT = {
  serverId: SID,
  auth: {
    client: { type: 'md5', username: 'dev1', password: 'devpw', nonce: 'AAECAwQFBgcICQoLDA0ODw==' },
    server: { type: 'md5', username: SID, password: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' },
  },
  packages: [{ commands: [
    { cmd: 'Get', target: './DevInfo/Mod', expect: 200, expectValue: 'Widget 3000' },
    { cmd: 'Add', target: './Vendor/omadm/Sync/load', format: 'node', expect: [200, 418] },
    { cmd: 'Add', target: './Vendor/omadm/Sync/load/Addr', data: 'https://sync.example.com/ds', format: 'chr', expect: [200, 418] },
    { cmd: 'Replace', target: './Vendor/omadm/Sync/load/Addr', data: 'https://sync2.example.com/ds', format: 'chr', expect: 200 },
    { cmd: 'Get', target: './DevInfo?list=Struct', expect: 200 },
  ] }],
};

const ACCOUNT = {
  authPref: 'DIGEST',
  client: { type: 'DIGEST', name: 'dev1', secret: 'devpw', nonce: new Uint8Array(Buffer.from('AAECAwQFBgcICQoLDA0ODw==', 'base64')) },
  server: { type: 'DIGEST', name: SID, secret: 'srvpw', nonce: new Uint8Array(Buffer.from('EBESExQVFhcYGRobHB0eHw==', 'base64')) },
};

const mib = (n: number): string => (n / 1048576).toFixed(2);

/** Keeps the test helper's own records bounded in a long run (it keeps every log line and message). */
function trimLogs(dev: TestDevice): void {
  dev.logs.length = 0;
  dev.traces.length = 0;
}

/** What the sequential device child reports. */
interface SequentialReport {
  error?: string;
  sessions: number;
  ms: number;
  samples: { n: number; heap: number }[];
  highWater: number;
  rss: number;
  addr: string | null;
}

if (ROLE === 'server') {
  // ---------------------------------------------------------------- child: the loopback server
  const { startServer } = await import('../../target/node/server');
  const { parseScript } = await import('../../src/server/script');
  const tls = JSON.parse(process.env['OMADM_LOAD_TLS']!) as { key: string; cert: string };
  const srv = await startServer({ script: parseScript(SCRIPT), port: 0, tls, limits: { maxSessions: 64 } });
  let failures = 0;
  let completed = 0;
  let firstFailure = '';
  // count outcomes as sessions end (the server keeps only the last 64 records)
  const seen = new Set<number>();
  setInterval(() => {
    for (const r of srv.sessions()) {
      if (r.outcome === 'active' || seen.has(r.index)) continue;
      seen.add(r.index);
      if (r.outcome === 'completed' && r.failures.length === 0) completed++;
      else {
        failures++;
        firstFailure ||= JSON.stringify({ outcome: r.outcome, failures: r.failures });
      }
    }
  }, 10).unref();
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') setTimeout(() => process.send!({ completed, failures, firstFailure, rss: process.memoryUsage().rss }), 30);
    if (m.cmd === 'stop') void srv.close().then(() => process.exit(0));
  });
  process.send!({ url: srv.url });
} else if (ROLE === 'device') {
  // ---------------------------------------------------------------- child: the sequential device
  const gc = runInNewContext('gc') as () => void;
  const settled = (): number => { gc(); gc(); return process.memoryUsage().heapUsed; };
  const rep: SequentialReport = { sessions: 0, ms: 0, samples: [], highWater: 0, rss: 0, addr: null };
  try {
    const dev = makeDevice({ url: process.env['OMADM_LOAD_URL']!, ca: process.env['OMADM_LOAD_CA']!, account: ACCOUNT });
    const t0 = performance.now();
    for (let i = 1; i <= SESSIONS; i++) {
      const r = await dev.agent.runSession();
      if (r.outcome !== 'completed') throw new Error(`session ${i}: ${JSON.stringify(r)}; ${JSON.stringify(dev.logs.slice(-5))}`);
      rep.sessions = i;
      trimLogs(dev);
      rep.highWater = Math.max(rep.highWater, process.memoryUsage().heapUsed);
      if (i % CHECKPOINT === 0 || i === SESSIONS) rep.samples.push({ n: i, heap: settled() });
    }
    rep.ms = performance.now() - t0;
    rep.addr = dev.agent.tree.store.readText('./Vendor/omadm/Sync/load/Addr');
  } catch (e) {
    rep.error = (e as Error).message;
  }
  rep.rss = process.memoryUsage().rss;
  process.send!(rep, undefined, {}, () => process.exit(0));
} else {
  // ---------------------------------------------------------------- the tests
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settledHeap = (): number => { gc(); gc(); return process.memoryUsage().heapUsed; };

  let server: ChildProcess;
  let url = '';
  const pki = makePki();
  const self = fileURLToPath(import.meta.url);

  before(async () => {
    server = fork(self, [], { env: { ...process.env, OMADM_LOAD_ROLE: 'server', OMADM_LOAD_TLS: JSON.stringify({ key: pki.key, cert: pki.cert }) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    url = await new Promise<string>((ok, fail) => {
      server.once('message', (m: { url: string }) => ok(m.url));
      server.once('exit', (c) => fail(new Error(`server exited with ${c}`)));
    });
  });
  after(() => {
    server.send({ cmd: 'stop' });
  });

  const serverStats = (): Promise<{ completed: number; failures: number; firstFailure: string; rss: number }> =>
    new Promise((ok) => {
      server.once('message', ok);
      server.send({ cmd: 'stats' });
    });

  describe('load: sessions against the loopback server (server in a child process)', () => {
    test(`${SESSIONS} sequential sessions of one device: heap flat after session ${CHECKPOINT} (margin ${mib(GROWTH_MARGIN)} MiB)`, async (t) => {
      const before = await serverStats();
      const child = fork(self, [], {
        execArgv: ['--expose-gc', '--no-opt'],
        env: { ...process.env, OMADM_LOAD_ROLE: 'device', OMADM_LOAD_URL: url, OMADM_LOAD_CA: pki.ca },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const rep = await new Promise<SequentialReport>((ok, fail) => {
        child.once('message', (m: SequentialReport) => ok(m));
        child.once('exit', (c) => fail(new Error(`device child exited with ${c}`)));
      });
      assert.equal(rep.error, undefined);
      assert.equal(rep.sessions, SESSIONS);
      const base = rep.samples.find((s) => s.n === CHECKPOINT) ?? rep.samples[0]!;
      const last = rep.samples.at(-1)!;
      const peak = Math.max(...rep.samples.map((s) => s.heap));
      t.diagnostic(`${SESSIONS} sessions in ${(rep.ms / 1000).toFixed(1)} s (${(rep.ms / SESSIONS).toFixed(1)} ms/session, optimiser off); heap after GC: session ${base.n} ${mib(base.heap)} MiB, session ${last.n} ${mib(last.heap)} MiB (${last.heap - base.heap >= 0 ? '+' : ''}${((last.heap - base.heap) / 1024).toFixed(0)} KiB), peak after GC ${mib(peak)} MiB; high-water (no GC) ${mib(rep.highWater)} MiB; rss ${mib(rep.rss)} MiB`);
      t.diagnostic(`heap after GC per ${CHECKPOINT} sessions (MiB): ${rep.samples.map((s) => `${s.n}:${mib(s.heap)}`).join(' ')}`);
      assert.ok(last.heap - base.heap < GROWTH_MARGIN, `heap grew by ${last.heap - base.heap} bytes from session ${base.n} to ${last.n}`);
      assert.equal(rep.addr, 'https://sync2.example.com/ds');
      const st = await serverStats();
      assert.equal(st.failures - before.failures, 0, st.firstFailure);
      assert.equal(st.completed - before.completed, SESSIONS, 'every session completed on the server');
    });

    test(`${DEVICES} devices × ${ROUNDS} concurrent sessions: all complete, heap per device bounded`, async (t) => {
      const h0 = settledHeap();
      const devs = Array.from({ length: DEVICES }, (_, i) => makeDevice({
        url, ca: pki.ca, account: ACCOUNT,
        agent: { devInfo: { devId: `IMEI:4930051005${String(90000 + i).padStart(5, '0')}`, man: 'Acme Devices', mod: 'Widget 3000', dmV: 'omadm 0.1', lang: 'en-US' } },
      }));
      const before = await serverStats();
      const t0 = performance.now();
      let peak = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const rs = await Promise.all(devs.map((d) => d.agent.runSession()));
        assert.deepEqual(rs.filter((r) => r.outcome !== 'completed'), [], `round ${round}`);
        peak = Math.max(peak, process.memoryUsage().heapUsed);
        for (const d of devs) trimLogs(d);
      }
      const ms = performance.now() - t0;
      const h1 = settledHeap();
      const after = await serverStats();
      const perDevice = (h1 - h0) / DEVICES;
      t.diagnostic(`${DEVICES * ROUNDS} sessions of ${DEVICES} concurrent devices in ${(ms / 1000).toFixed(1)} s; heap with ${DEVICES} live agents: +${mib(h1 - h0)} MiB (${(perDevice / 1024).toFixed(0)} KiB per device, optimiser on), high-water ${mib(peak)} MiB; server rss ${mib(after.rss)} MiB`);
      assert.equal(after.completed - before.completed, DEVICES * ROUNDS, 'every session completed on the server');
      assert.equal(after.failures - before.failures, 0, after.firstFailure);
      assert.ok(perDevice < 1024 * 1024, `${perDevice} bytes per live device`);
    });
  });
}
