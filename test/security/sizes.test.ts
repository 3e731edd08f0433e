// Security (node-only): hostile sizes sent by a server to the device, end to end (a hostile server
// on loopback, the real agent): billion-laughs entity nesting, element nesting far beyond the depth
// limit, WBXML string tables and OPAQUE lengths claiming gigabytes, a huge STR_T fan-out, SyncHdr
// MaxMsgSize/MaxObjSize claims of 2^53 and more, a large object announcing a terabyte, more commands
// and items than the limits, an overlong LocURI, and a 64 MiB response. Each one must end as a DM
// status or a clean session failure (never an exception, never an allocation the claim asked for),
// leave the tree as it was, and keep the heap bounded.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MessageDecoder } from '../../src/codec/decode';
import type { Message } from '../../src/codec/model';
import { makeDevice } from '../helpers/device';
import { HostileServer, endXml, serverXml } from './hostile';
import type { Answer } from './hostile';
import { treeSnapshot } from '../faults/network/snapshot';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = (): number => { gc(); gc(); return process.memoryUsage().heapUsed; };

const servers: HostileServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

const mb = (v: number): number[] => { const o = [v & 0x7f]; v = Math.floor(v / 128); while (v > 0) { o.unshift(0x80 | (v & 0x7f)); v = Math.floor(v / 128); } return o; };
const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const str = (s: string): number[] => [0x03, ...utf8(s), 0];

/** A WBXML server message answering `req` whose body is `body` (raw tokens after the SyncHdr Status), with a string table. */
function wbxml(req: Message, body: number[], table: number[] = [], tableLen = table.length): Uint8Array {
  const h = req.hdr;
  const hdr = [0x6c, 0x71, ...str('1.2'), 1, 0x72, ...str('DM/1.2'), 1, 0x65, ...str(h.sessionId), 1, 0x5b, ...str('1'), 1,
    0x6e, 0x57, ...str(h.source), 1, 1, 0x67, 0x57, ...str(h.target), 1, 1, 1];
  const status = [0x69, 0x4b, ...str('1'), 1, 0x5c, ...str(h.msgId), 1, 0x4c, ...str('0'), 1, 0x4a, ...str('SyncHdr'), 1, 0x4f, ...str('200'), 1, 1];
  return Uint8Array.from([0x02, 0xa4, 0x01, 0x6a, ...mb(tableLen), ...table, 0x6d, ...hdr, 0x6b, ...status, ...body, 0x12, 1, 1]);
}
const WBXML = 'application/vnd.syncml.dm+wbxml';

interface Case {
  name: string;
  /** The hostile first answer. */
  first: (req: Message) => Answer;
  outcome: 'completed' | 'failed';
  reason?: string;
  /** Statuses the device must have answered (command element name → codes allowed). */
  statuses?: Record<string, number[]>;
  /** Extra checks on the device after the session. */
  check?: (dev: ReturnType<typeof makeDevice>) => void;
  /** Tree may change (only the named nodes). */
  changes?: string[];
}

const LAUGHS = '<!DOCTYPE SyncML [ <!ENTITY lol "lol">' + Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') + ' ]>';

const CASES: Case[] = [
  {
    name: 'billion laughs: nested entity definitions, a reference to the outermost one in Data',
    first: (req) => ({ body: serverXml(req, 1, '<Add><CmdID>2</CmdID><Item><Target><LocURI>./Vendor/omadm/Sync/laughs</LocURI></Target><Meta><Format xmlns="syncml:metinf">node</Format></Meta></Item></Add>'
      + '<Add><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/omadm/Sync/laughs/Name</LocURI></Target><Data>&lol9;</Data></Item></Add>', { prolog: LAUGHS }) }),
    outcome: 'completed', statuses: { Add: [200] }, changes: ['./Vendor/omadm/Sync/laughs', './Vendor/omadm/Sync/laughs/Name'],
    check: (dev) => assert.equal(dev.agent.tree.store.readText('./Vendor/omadm/Sync/laughs/Name'), '&lol9;', 'entities of the DOCTYPE are never expanded'),
  },
  {
    name: 'element nesting 2000 deep inside a command',
    first: (req) => ({ body: serverXml(req, 1, `<Get><CmdID>2</CmdID><Item>${'<x>'.repeat(2000)}${'</x>'.repeat(2000)}</Item></Get>`) }),
    outcome: 'failed', reason: 'malformed-message',
  },
  {
    name: 'WBXML string table claiming 2^31 bytes',
    first: (req) => ({ contentType: WBXML, body: wbxml(req, [], [0x61, 0], 0x7fffffff) }),
    outcome: 'failed', reason: 'malformed-message',
  },
  {
    name: 'WBXML string table one byte over the limit (4097 bytes)',
    first: (req) => ({ contentType: WBXML, body: wbxml(req, [], new Array<number>(4097).fill(0x61)) }),
    outcome: 'failed', reason: 'malformed-message',
  },
  {
    name: 'WBXML OPAQUE claiming 256 MiB',
    first: (req) => ({ contentType: WBXML, body: wbxml(req, [0x60, 0x4b, ...str('2'), 1, 0x54, 0x4f, 0xc3, ...mb(1 << 28), 1, 2, 3]) }),
    outcome: 'failed', reason: 'malformed-message',
  },
  {
    name: 'WBXML STR_T fan-out: one 4000-byte string referenced 3000 times in one Data',
    first: (req) => ({ contentType: WBXML, body: wbxml(req, [0x60, 0x4b, ...str('2'), 1, 0x54, 0x6e, 0x57, ...str('./Vendor/omadm/Sync/fan/Name'), 1, 1, 0x4f, ...new Array<number[]>(3000).fill([0x83, 0]).flat(), 1, 1, 1], [...new Array<number>(4000).fill(0x62), 0]) }),
    outcome: 'failed', reason: 'malformed-message',
  },
  {
    name: 'SyncHdr MaxMsgSize / MaxObjSize claims of 2^53 and beyond; the device keeps its own buffer size',
    first: (req) => ({ body: serverXml(req, 1, '<Get><CmdID>2</CmdID><Item><Target><LocURI>.?list=StructData</LocURI></Target></Item></Get>', { hdrExtra: '<Meta><MaxMsgSize xmlns="syncml:metinf">9007199254740993</MaxMsgSize><MaxObjSize xmlns="syncml:metinf">99999999999999999999999</MaxObjSize></Meta>' }) }),
    outcome: 'completed', statuses: { Get: [200] },
  },
  {
    name: 'a large object announcing 1 TiB (Meta Size) in its first chunk',
    first: (req) => ({ body: serverXml(req, 1, '<Replace><CmdID>2</CmdID><Meta><Format xmlns="syncml:metinf">chr</Format><Size xmlns="syncml:metinf">1099511627776</Size></Meta><Item><Target><LocURI>./Vendor/omadm/Sync/big/Name</LocURI></Target><Data>xxxx</Data><MoreData/></Item></Replace>', { final: false }) }),
    outcome: 'completed', statuses: { Replace: [413] },
  },
  {
    name: 'a large object whose Meta Size has 20 digits',
    first: (req) => ({ body: serverXml(req, 1, '<Add><CmdID>2</CmdID><Item><Target><LocURI>./Vendor/omadm/Sync/big2</LocURI></Target><Meta><Format xmlns="syncml:metinf">node</Format></Meta></Item></Add>'
      + '<Add><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/omadm/Sync/big2/Name</LocURI></Target><Meta><Size xmlns="syncml:metinf">18446744073709551617</Size></Meta><Data>xxxx</Data><MoreData/></Item></Add>', { final: false }) }),
    // a Size the parser cannot read (over 15 digits) is dropped; the DPU then accepts the first chunk
    // (213) without one and bounds it by MaxObjSize: observation O2 in docs/hardening.md
    outcome: 'completed', statuses: { Add: [200, 400, 412, 413, 424, 213] }, changes: ['./Vendor/omadm/Sync/big2'],
    check: (dev) => assert.equal(dev.agent.tree.store.exists('./Vendor/omadm/Sync/big2/Name'), false, 'nothing of the object was stored'),
  },
  {
    name: '300 commands in one message (limit 256)',
    first: (req) => ({ body: serverXml(req, 1, '<Get><CmdID>9</CmdID></Get>'.repeat(300)) }),
    outcome: 'failed', reason: 'malformed-message',
  },
  {
    name: '70 items in one command (limit 64)',
    first: (req) => ({ body: serverXml(req, 1, `<Get><CmdID>2</CmdID>${'<Item><Target><LocURI>./DevInfo/Mod</LocURI></Target></Item>'.repeat(70)}</Get>`) }),
    outcome: 'failed', reason: 'malformed-message',
  },
  {
    name: 'a 3000-byte LocURI',
    first: (req) => ({ body: serverXml(req, 1, `<Get><CmdID>2</CmdID><Item><Target><LocURI>./${'a'.repeat(3000)}</LocURI></Target></Item></Get>`) }),
    outcome: 'failed', reason: 'malformed-message',
  },
  {
    name: 'a 64 MiB response',
    first: (req) => ({ body: Buffer.concat([Buffer.from(serverXml(req, 1, '<Get><CmdID>2</CmdID><Item><Data>', { final: false })), Buffer.alloc(64 << 20, 0x61)]) }),
    outcome: 'failed', reason: 'transport-http-framing',
  },
];

/** The device's Status codes per command name in its second message (its answer to our first). */
function statusesOf(req: Message | undefined): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const c of req?.body ?? []) {
    if (c.name !== 'Status' || c.cmd === 'SyncHdr' || c.cmd === undefined) continue;
    (out[c.cmd] ??= []).push(Number(c.data?.text()));
  }
  return out;
}

describe('security: hostile sizes end as statuses or clean failures, never as growth', () => {
  for (const c of CASES) {
    test(`${c.name} → ${c.outcome}${c.reason ? ` (${c.reason})` : ''}`, async (t) => {
      const srv = await HostileServer.start((req, n) => (n === 1 ? c.first(req) : { body: endXml(req, n) }));
      servers.push(srv);
      const dev = makeDevice({ url: srv.url, account: { connRetryFreq: 0 } });
      const before = treeSnapshot(dev.agent);
      const h0 = heap();
      const r = await dev.agent.runSession();
      const grown = heap() - h0;
      assert.equal(r.outcome, c.outcome, JSON.stringify(r));
      if (c.reason) assert.equal(r.reason, c.reason, JSON.stringify(r));
      if (c.statuses) {
        const got = statusesOf(srv.exchanges[1]?.request);
        for (const [cmd, codes] of Object.entries(c.statuses)) {
          assert.ok((got[cmd] ?? []).length > 0 && got[cmd]!.every((x) => codes.includes(x)), `${cmd} statuses ${JSON.stringify(got[cmd])}, expected ${JSON.stringify(codes)}`);
        }
      }
      // every message the device sent stayed within its own buffer, whatever the server claimed
      for (const e of srv.exchanges) assert.ok(e.requestBody.length <= 16384, `a ${e.requestBody.length}-byte message`);
      const after = treeSnapshot(dev.agent);
      for (const k of c.changes ?? []) { delete after[k]; delete before[k]; }
      for (const k of Object.keys(after)) if (k.startsWith('./Vendor/omadm/Sync') && c.changes?.some((x) => k.startsWith(x))) delete after[k];
      assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort(), 'tree nodes changed');
      c.check?.(dev);
      t.diagnostic(`statuses ${JSON.stringify(statusesOf(srv.exchanges[1]?.request))}, heap ${grown >= 0 ? '+' : ''}${(grown / 1024).toFixed(0)} KiB`);
      assert.ok(grown < 16 << 20, `heap grew by ${(grown / 1e6).toFixed(1)} MB`);
    });
  }

  test('the decoder alone: every hostile document above is a DecodeError or a message, and the arena never grows', () => {
    const d = new MessageDecoder();
    const fake = { hdr: { sessionId: '1', source: 'a', target: 'b', msgId: '1' }, body: [] } as unknown as Message;
    const h0 = heap();
    for (let i = 0; i < 200; i++) {
      for (const c of CASES.slice(0, -1)) {
        const a = c.first(fake);
        const b = typeof a.body === 'string' ? new Uint8Array(Buffer.from(a.body)) : a.body;
        try { d.decode(b); } catch (e) { if ((e as Error).name !== 'DecodeError') throw e; }
      }
    }
    assert.ok(heap() - h0 < 4 << 20);
  });
});
