/** Portable helpers for the bootstrap unit tests: a device tree, DM bootstrap messages, pushes, a UI. */
import { MessageBuilder } from '../../../src/codec/syncml/Builder';
import { WbxmlWriter } from '../../../src/codec/wbxml/Writer';
import { XmlWriter } from '../../../src/codec/xml/Writer';
import type { OutCommand, OutItem } from '../../../src/codec/model';
import { DmAcc } from '../../../src/csp/dmacc';
import { SyncSettings } from '../../../src/csp/sync';
import type { UiAnswer, UiRequest, UserInterface } from '../../../src/platform';
import type { WspParam } from '../../../src/push/wsp';
import type { BootstrapPush } from '../../../src/bootstrap/Bootstrapper';
import { Tree } from '../../../src/tree/Tree';
import { utf8Encode } from '../../../src/util/utf8';
import { FakePlatform, MemStorage } from '../../helpers/fake-platform';

/** A spec IMSI (15 digits) and its EF_IMSI semi-octet key, packed by hand from 3GPP TS 31.102 §4.2.2. */
export const IMSI = '262011234567890';
export const IMSI_KEY = [0x29, 0x26, 0x10, 0x21, 0x43, 0x65, 0x87, 0x09];

export const SRV = 'com.bootstrap.srv';

export interface Device {
  platform: FakePlatform;
  storage: MemStorage;
  tree: Tree;
  dmacc: DmAcc;
}

/** A device tree as the Agent builds it (DMAcc both forms, sync settings), default root ACL. */
export function device(storage = new MemStorage()): Device {
  const platform = new FakePlatform(7, storage);
  const tree = new Tree(platform);
  const dmacc = DmAcc.attach(tree);
  SyncSettings.attach(tree);
  return { platform, storage, tree, dmacc };
}

/** A DM message (server → client shape) carrying `cmds`, WBXML (default) or XML. */
export function dmMessage(cmds: OutCommand[], encoding: 'wbxml' | 'xml' = 'wbxml', version: '1.2' | '1.1.2' = '1.2'): Uint8Array {
  const b = new MessageBuilder(encoding === 'wbxml' ? new WbxmlWriter(65536) : new XmlWriter(65536));
  b.begin({ version, sessionId: '0', msgId: '1', target: 'IMEI:493005100592800', source: SRV });
  let id = 1;
  for (const c of cmds) {
    if (!b.add(c, String(id))) throw new Error('message too large for the test buffer');
    id += span(c);
  }
  return b.finish(true).slice();
}

function span(c: OutCommand): number {
  return 1 + (c.children ?? []).reduce((n, ch) => n + span(ch), 0);
}

/** One Add of a leaf (text or bytes). */
export function add(target: string, data: string | Uint8Array, meta: OutItem['meta'] = {}): OutCommand {
  const it: OutItem = { target, data };
  if (Object.keys(meta).length) it.meta = meta;
  return { kind: 'Add', items: [it] };
}

/** One Add of an interior node. */
export function addNode(target: string, type?: string): OutCommand {
  return { kind: 'Add', items: [{ target, meta: type ? { format: 'node', type } : { format: 'node' } }] };
}

/** The Adds of a complete DM 1.2 account `./DMAcc/<x>` with md5 credentials both ways. */
export function account12(x: string, serverId: string, addr: string, o: { clientPw?: string; serverPw?: string } = {}): OutCommand[] {
  const a = `./DMAcc/${x}`;
  return [
    addNode(a, 'urn:oma:mo:oma-dm-dmacc:1.0'),
    add(`${a}/AppID`, 'w7'),
    add(`${a}/ServerID`, serverId),
    add(`${a}/Name`, 'Bootstrapped server'),
    add(`${a}/AppAddr/1/Addr`, addr),
    add(`${a}/AppAddr/1/AddrType`, 'URI'),
    add(`${a}/AAuthPref`, 'DIGEST'),
    add(`${a}/AppAuth/1/AAuthLevel`, 'CLCRED'),
    add(`${a}/AppAuth/1/AAuthType`, 'DIGEST'),
    add(`${a}/AppAuth/1/AAuthName`, 'dev1'),
    add(`${a}/AppAuth/1/AAuthSecret`, o.clientPw ?? 'devpw'),
    add(`${a}/AppAuth/1/AAuthData`, 'AAECAwQFBgcICQoLDA0ODw==', { format: 'b64' }),
    add(`${a}/AppAuth/2/AAuthLevel`, 'SRVCRED'),
    add(`${a}/AppAuth/2/AAuthType`, 'DIGEST'),
    add(`${a}/AppAuth/2/AAuthName`, serverId),
    add(`${a}/AppAuth/2/AAuthSecret`, o.serverPw ?? 'srvpw'),
  ];
}

/** A push as decodeWspPush hands it over (binary content type; SEC as text or WSP code, MAC text). */
export function push(body: Uint8Array, p: { sec?: string | number; mac?: string; ct?: number } = {}): BootstrapPush {
  const params: WspParam[] = [];
  if (p.sec !== undefined) params.push({ name: 'SEC', code: 0x11, value: p.sec });
  if (p.mac !== undefined) params.push({ name: 'MAC', code: 0x12, value: p.mac });
  const ct = p.ct ?? 0x42;
  return { contentType: ct === 0x42 ? 'application/vnd.syncml.dm+wbxml' : ct === 0x36 ? 'application/vnd.wap.connectivity-wbxml' : `x-${ct}`, contentTypeCode: ct, contentTypeParams: params, body };
}

/** A UI answering every input request with `answer` (asynchronously, as the contract requires). */
export function answeringUi(answer: string | 'cancel'): UserInterface & { asked: UiRequest[] } {
  const asked: UiRequest[] = [];
  return {
    asked,
    ask(req: UiRequest, done: (a: UiAnswer) => void): void {
      asked.push(req);
      void Promise.resolve().then(() => done(answer === 'cancel' ? { outcome: 'cancel' } : { outcome: 'ok', text: answer }));
    },
  };
}

/** UTF-8 bytes. */
export const u8 = (s: string): Uint8Array => utf8Encode(s);

/** Every node with its properties and value (device view), for exact before/after comparisons. */
export function dump(tree: Tree): string {
  const out: string[] = [];
  const visit = (path: string): void => {
    const i = tree.store.info(path)!;
    const v = tree.store.read(path);
    out.push(`${path}|${i.interior ? 'I' : 'L'}|${i.format}|${i.type}|${i.acl}|${i.title}|${i.permanent ? 'P' : ''}${i.secret ? 'S' : ''}|${v ? Array.from(v).join(',') : '-'}`);
    for (const c of tree.store.children(path) ?? []) visit(path === '.' ? `./${c}` : `${path}/${c}`);
  };
  visit('.');
  return out.join('\n');
}
