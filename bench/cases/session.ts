/**
 * End-to-end processing of a 200-command server package (package #2) by the real engine:
 * `Session.receive` → decode → DPU → management tree (DevInfo, DevDetail, DMAcc and Sync CSPs,
 * ACL checks) → tree commit (the power-fail-safe record, in memory) → response (package #3)
 * encode. One operation is one fresh session: `start` (package #1, small) then `receive` of the
 * 200-command package; the `session.pkg1` case measures `start` alone so it can be subtracted.
 *
 * The package is 20 groups of 10 commands on a sync profile `./Vendor/omadm/Sync/b<k>`:
 * Add node, Add Name, Add Addr, Get Name, Replace Name, Get ./DevInfo/Mod or ./DevDetail/FwV,
 * Replace Addr, Get Addr, Delete Name, Delete node: 60 Add, 40 Replace, 60 Get, 40 Delete; every
 * command succeeds (200) and the tree ends as it started, so every operation does the same work.
 *
 * Checks: in the closure, a tally of the records the DPU emits (200 Status 200, 60 Results with
 * the expected value bytes) and the response size; in setup, the response decoded and every
 * Status and Results value compared one by one.
 */
import { MessageDecoder } from '../../src/codec/decode';
import type { Encoding, OutAlert, OutCommand, OutResults, OutStatus } from '../../src/codec/model';
import { MessageBuilder } from '../../src/codec/syncml/Builder';
import { WbxmlWriter } from '../../src/codec/wbxml/Writer';
import { XmlWriter } from '../../src/codec/xml/Writer';
import { DevDetailCsp } from '../../src/csp/devdetail';
import { DevInfoCsp } from '../../src/csp/devinfo';
import { DmAcc } from '../../src/csp/dmacc';
import { SyncSettings } from '../../src/csp/sync';
import { Dpu } from '../../src/dpu/Dpu';
import type { Command, DmVersion } from '../../src/codec/model';
import type { UiAnswer, UiRequest } from '../../src/platform';
import { Session } from '../../src/session/Session';
import type { IncomingMessage, SessionConfig, SessionDpu, SessionHooks, SessionStep } from '../../src/session/Session';
import { Tree } from '../../src/tree/Tree';
import { utf8Encode } from '../../src/util/utf8';
import { FakePlatform } from '../../test/helpers/fake-platform';
import type { BenchHost, CaseInstance, CaseParams } from '../lib/types';
import { check } from '../lib/types';

const DEV_ID = 'IMEI:493005100592800';
const SERVER_URL = 'https://dm.example.com/dm';
const SERVER_ID = 'com.mgmtsrv.manage';
const MOD = 'Widget 3000';
const FWV = 'FW-1.0.0';
/** Sync profiles touched per package; 10 commands each. */
const GROUPS = 20;
const SYNC = './Vendor/omadm/Sync';

/** The 200 commands of the package and the values their Gets must return. */
function commands(): { cmds: OutCommand[]; gets: string[] } {
  const cmds: OutCommand[] = [];
  const gets: string[] = [];
  for (let k = 0; k < GROUPS; k++) {
    const p = `${SYNC}/b${k}`;
    const chr = { format: 'chr', type: 'text/plain' };
    const info = k % 2 === 0 ? './DevInfo/Mod' : './DevDetail/FwV';
    cmds.push(
      { kind: 'Add', meta: { format: 'node' }, items: [{ target: p }] },
      { kind: 'Add', meta: chr, items: [{ target: `${p}/Name`, data: `Bench profile ${k}` }] },
      { kind: 'Add', meta: chr, items: [{ target: `${p}/Addr`, data: `https://sync.example.com/ds/${k}` }] },
      { kind: 'Get', items: [{ target: `${p}/Name` }] },
      { kind: 'Replace', meta: chr, items: [{ target: `${p}/Name`, data: `Bench profile ${k} (renamed)` }] },
      { kind: 'Get', items: [{ target: info }] },
      { kind: 'Replace', meta: chr, items: [{ target: `${p}/Addr`, data: `https://sync2.example.com/ds/${k}` }] },
      { kind: 'Get', items: [{ target: `${p}/Addr` }] },
      { kind: 'Delete', items: [{ target: `${p}/Name` }] },
      { kind: 'Delete', items: [{ target: p }] },
    );
    gets.push(`Bench profile ${k}`, k % 2 === 0 ? MOD : FWV, `https://sync2.example.com/ds/${k}`);
  }
  return { cmds, gets };
}

/** Package #2: statuses for our package #1 (header, Alert, Replace), then the 200 commands. */
function serverPackage(encoding: Encoding, sessionId: string, cmds: OutCommand[]): IncomingMessage {
  const w = encoding === 'wbxml' ? new WbxmlWriter(1 << 17) : new XmlWriter(1 << 17);
  const b = new MessageBuilder(w);
  b.begin({ version: '1.2', sessionId, msgId: '1', target: DEV_ID, source: SERVER_URL });
  let id = 1;
  const st = (cmdRef: string, cmd: string): OutStatus => ({ kind: 'Status', msgRef: '1', cmdRef, cmd, code: 200 });
  b.add({ ...st('0', 'SyncHdr'), targetRefs: [SERVER_URL], sourceRefs: [DEV_ID] }, String(id++));
  b.add(st('1', 'Alert'), String(id++));
  b.add(st('2', 'Replace'), String(id++));
  for (const c of cmds) if (!b.add(c, String(id++))) throw new Error('package #2 does not fit');
  const ct = encoding === 'wbxml' ? 'application/vnd.syncml.dm+wbxml' : 'application/vnd.syncml.dm+xml';
  return { contentType: ct, body: b.finish(true).slice() };
}

/** Tally of what the DPU emitted for one message. */
interface Tally {
  statuses: number;
  ok: number;
  results: number;
  resultBytes: number;
}

/** The real DPU behind a pass-through that counts its records (the closure's cheap check). */
class CountingDpu implements SessionDpu {
  readonly t: Tally = { statuses: 0, ok: 0, results: 0, resultBytes: 0 };
  constructor(private readonly dpu: Dpu) {}
  *run(cmds: readonly Command[], ctx: { serverId: string; msgId: string; version: DmVersion; encoding?: Encoding },
    out: (r: OutStatus | OutResults | OutAlert) => void): Generator<UiRequest, { pendingChunk?: boolean; cancelled?: boolean }, UiAnswer> {
    const t = this.t;
    return yield* this.dpu.run(cmds, ctx, (r) => {
      if (r.kind === 'Status') {
        t.statuses++;
        if (r.code === 200) t.ok++;
      } else if (r.kind === 'Results') {
        t.results++;
        const d = r.items[0]?.data;
        t.resultBytes += d === undefined ? 0 : typeof d === 'string' ? d.length : d.length;
      }
      out(r);
    });
  }
}

/** A device (tree + built-in CSPs + DPU) on an in-memory deterministic platform. */
function device(): { tree: Tree; dpu: Dpu } {
  const platform = new FakePlatform(7);
  platform.log = () => {}; // the fake keeps every log entry: unbounded over a benchmark
  const tree = new Tree(platform, {});
  tree.addCsp(new DevInfoCsp({ devId: DEV_ID, man: 'Acme Devices', mod: MOD, dmV: 'omadm 0.1', lang: 'en-US' }));
  tree.addCsp(new DevDetailCsp({ devTyp: 'router', oem: 'Acme', fwV: FWV, swV: '0.1.0', hwV: 'A1' }));
  DmAcc.attach(tree);
  SyncSettings.attach(tree);
  tree.commit();
  const dpu = new Dpu(tree, { platform });
  return { tree, dpu };
}

function config(encoding: Encoding): SessionConfig {
  return {
    account: {
      serverId: SERVER_ID, addr: SERVER_URL, authPref: '',
      client: { type: '', name: 'dev', secret: new Uint8Array(0), nonce: new Uint8Array(0) },
      server: { type: '', name: '', secret: new Uint8Array(0), nonce: new Uint8Array(0) },
    },
    devId: DEV_ID, initiator: 'server', sessionId: 'A3F', version: '1.2', encoding,
    devInfo: [{ source: './DevInfo/DevId', data: DEV_ID }, { source: './DevInfo/Man', data: 'Acme Devices' }, { source: './DevInfo/Mod', data: MOD },
      { source: './DevInfo/DmV', data: 'omadm 0.1' }, { source: './DevInfo/Lang', data: 'en-US' }],
    // one response message for the whole package (a device with a 64 KiB buffer)
    limits: { maxMsgSize: 65536, sendBufferSize: 65536, maxCmdsPerMsg: 256 },
  };
}

function hooks(dpu: SessionDpu, tree: Tree): SessionHooks {
  let seed = 7;
  return {
    dpu,
    commit: () => tree.commit(),
    setNonce: () => {},
    randomFill: (b) => {
      for (let i = 0; i < b.length; i++) b[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    },
    log: () => {},
  };
}

function sent(step: SessionStep): Uint8Array {
  if (step.kind !== 'send') throw new Error(`session did not answer with a message: ${JSON.stringify(step.kind === 'done' ? step.result : step.kind)}`);
  return step.message.body;
}

function encodingOf(p: CaseParams): Encoding {
  const e = p['form'];
  if (e !== 'xml' && e !== 'wbxml') throw new TypeError(`params.form: 'xml' or 'wbxml', got ${String(e)}`);
  return e;
}

/** Package #2 with 200 commands in, package #3 out. */
export function session200Case(_host: BenchHost, p: CaseParams): CaseInstance {
  const enc = encodingOf(p);
  const { cmds, gets } = commands();
  const cfg = config(enc);
  const pkg2 = serverPackage(enc, cfg.sessionId, cmds);
  const { tree, dpu } = device();
  const counting = new CountingDpu(dpu);
  const h = hooks(counting, tree);
  const nodes0 = tree.usage().nodes;
  const wantBytes = gets.reduce((n, g) => n + utf8Encode(g).length, 0);
  const once = (): Uint8Array => {
    const s = new Session(cfg, h);
    sent(s.start(0));
    const t = counting.t;
    t.statuses = t.ok = t.results = t.resultBytes = 0;
    return sent(s.receive(1, pkg2));
  };
  // oracle check, once: every Status is 200 and every Results carries the expected value, in order
  const first = once().slice();
  const m = new MessageDecoder({ maxMsgSize: 1 << 17, maxCmdsPerMsg: 1024 }).decode(first);
  const st = m.body.filter((c) => c.name === 'Status' && c.cmdRef !== '0');
  const rs = m.body.filter((c) => c.name === 'Results');
  check(st.length === cmds.length && st.every((c) => c.data?.text() === '200'), `pkg3: ${st.length} statuses, not all 200: ${st.map((c) => c.data?.text()).filter((x) => x !== '200').slice(0, 5).join(',')}`);
  check(rs.length === gets.length && rs.every((c, i) => c.items[0]?.data?.text() === gets[i]), 'pkg3: Results values differ');
  check(tree.usage().nodes === nodes0, 'the tree did not return to its initial state');
  const len = first.length;
  return {
    bytes: pkg2.body.length, elements: cmds.length, elementName: 'command',
    fn() {
      const out = once();
      const t = counting.t;
      check(t.statuses === 200 && t.ok === 200 && t.results === 60 && t.resultBytes === wantBytes && out.length === len,
        `pkg3: ${t.ok}/${t.statuses} statuses 200, ${t.results} results (${t.resultBytes} B), ${out.length} B`);
    },
  };
}

/** Session creation and package #1 alone (part of every `session.pkg2-200` operation). */
export function sessionStartCase(_host: BenchHost, p: CaseParams): CaseInstance {
  const enc = encodingOf(p);
  const cfg = config(enc);
  const { tree, dpu } = device();
  const h = hooks(dpu, tree);
  const first = sent(new Session(cfg, h).start(0)).slice();
  const m = new MessageDecoder({}).decode(first);
  check(m.body.length === 2 && m.body[0]?.data?.text() === '1200', 'package #1 is not Alert 1200 + Replace');
  const len = first.length;
  return {
    bytes: len, elements: 1, elementName: 'message',
    fn() {
      const out = sent(new Session(cfg, h).start(0));
      check(out.length === len, `package #1: ${out.length} B, expected ${len}`);
    },
  };
}
