/**
 * A minimal scripted DM client for the server tests (portable): builds client messages with the
 * codec's MessageBuilder, posts them to a DmServer as HTTP requests, decodes the answers, and can
 * answer server commands (statuses, Results from a value table). It deliberately implements the
 * client side from the facts sheet, independently of src/session.
 */
import assert from 'node:assert/strict';
import { MessageDecoder } from '../../../src/codec/decode';
import type { Command, Cred, DmVersion, Encoding, Message, Meta, OutCommand, OutHeader, OutRecord, OutStatus } from '../../../src/codec/model';
import { MessageBuilder, commandSpan } from '../../../src/codec/syncml/Builder';
import { WbxmlWriter } from '../../../src/codec/wbxml/Writer';
import { XmlWriter } from '../../../src/codec/xml/Writer';
import { b64decode, b64encode } from '../../../src/crypto/base64';
import { md5 } from '../../../src/crypto/md5';
import type { DmServer } from '../../../src/server/DmServer';
import type { HttpResponse } from '../../../src/server/http';
import { concatBytes } from '../../../src/util/bytes';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';

export const SERVER_URL = 'http://127.0.0.1:8080/dm';
export const DEVICE = 'IMEI:493005100592800';

/** The facts §5.1 formulas, written out here independently of src/server/auth.ts. */
export const oracle = {
  basic: (u: string, p: string): string => b64encode(utf8Encode(`${u}:${p}`)),
  md5: (u: string, p: string, nonceB64: string): string =>
    b64encode(md5(concatBytes([utf8Encode(b64encode(md5(utf8Encode(`${u}:${p}`)))), utf8Encode(':'), b64decode(nonceB64)]))),
  mac: (u: string, p: string, nonceB64: string, body: Uint8Array): string =>
    b64encode(md5(concatBytes([utf8Encode(b64encode(md5(utf8Encode(`${u}:${p}`)))), utf8Encode(':'), b64decode(nonceB64), utf8Encode(':'), utf8Encode(b64encode(md5(body)))]))),
};

export interface ClientOptions {
  enc?: Encoding;
  version?: DmVersion;
  deviceId?: string;
  sessionId?: string;
  maxMsgSize?: number;
  maxObjSize?: number;
  url?: string;
}

export interface SendOptions {
  final?: boolean;
  cred?: Cred;
  sourceName?: string;
  /** Extra HTTP headers. */
  headers?: Record<string, string>;
  /** Compute an x-syncml-hmac header with these credentials. */
  hmac?: { username: string; password: string; nonce: string };
  /** Header Meta override (default: MaxMsgSize/MaxObjSize from the options). */
  meta?: Meta;
  contentType?: string;
}

export interface Exchange {
  resp: HttpResponse;
  /** The decoded answer (null when the response is not a DM message). */
  msg: Message | null;
  /** Bytes we sent. */
  sent: Uint8Array;
}

export class MiniClient {
  /** The server `send`/`post` talk to (null when the client only builds messages, e.g. over real HTTP). */
  readonly server: DmServer | null;
  readonly enc: Encoding;
  version: DmVersion;
  readonly deviceId: string;
  sessionId: string;
  readonly maxMsgSize: number | undefined;
  readonly maxObjSize: number | undefined;
  url: string;
  msgId = 0;
  /** Values for Get (URI → text). */
  tree = new Map<string, string>();

  constructor(server: DmServer | null, o: ClientOptions = {}) {
    this.server = server;
    this.enc = o.enc ?? 'wbxml';
    this.version = o.version ?? '1.2';
    this.deviceId = o.deviceId ?? DEVICE;
    this.sessionId = o.sessionId ?? '1A2B';
    this.maxMsgSize = o.maxMsgSize;
    this.maxObjSize = o.maxObjSize;
    this.url = o.url ?? SERVER_URL;
    this.tree.set('./DevInfo/DevId', this.deviceId);
    this.tree.set('./DevInfo/Mod', 'Model-X');
  }

  /** Builds one message (without sending); throws when the records do not fit `cap`. */
  build(records: (OutRecord | OutCommand)[], o: SendOptions = {}, cap = 1 << 20): Uint8Array {
    const w = this.enc === 'wbxml' ? new WbxmlWriter(cap) : new XmlWriter(cap);
    const b = new MessageBuilder(w);
    const hdr: OutHeader = { version: this.version, sessionId: this.sessionId, msgId: String(++this.msgId), target: SERVER_URL, source: this.deviceId };
    if (o.cred) hdr.cred = o.cred;
    if (o.sourceName !== undefined) hdr.sourceName = o.sourceName;
    const meta: Meta = o.meta ?? {};
    if (!o.meta) {
      if (this.maxMsgSize !== undefined) meta.maxMsgSize = this.maxMsgSize;
      if (this.maxObjSize !== undefined) meta.maxObjSize = this.maxObjSize;
    }
    if (Object.keys(meta).length > 0) hdr.meta = meta;
    assert.ok(b.begin(hdr), 'client header does not fit');
    let id = 1;
    for (const r of records) {
      assert.ok(b.add(r, String(id)), `client record ${r.kind} does not fit`);
      id += r.kind === 'Atomic' || r.kind === 'Sequence' ? commandSpan(r as OutCommand) : 1;
    }
    return b.finish(o.final ?? true).slice();
  }

  /** Builds, posts and decodes. */
  send(records: (OutRecord | OutCommand)[], o: SendOptions = {}): Exchange {
    const body = this.build(records, o);
    return this.post(body, o);
  }

  /** Posts raw bytes. */
  post(body: Uint8Array, o: SendOptions = {}): Exchange {
    const headers: Record<string, string> = {
      'content-type': o.contentType ?? (this.enc === 'wbxml' ? 'application/vnd.syncml.dm+wbxml' : 'application/vnd.syncml.dm+xml'),
      ...(o.headers ?? {}),
    };
    if (o.hmac) headers['x-syncml-hmac'] = `algorithm=MD5, username="${o.hmac.username}", mac=${oracle.mac(o.hmac.username, o.hmac.password, o.hmac.nonce, body)}`;
    assert.ok(this.server, 'MiniClient without a server can only build messages');
    const resp = this.server.handle({ method: 'POST', url: this.url, headers, body });
    let msg: Message | null = null;
    if (resp.status === 200 && !resp.drop && resp.body.length > 0) {
      try {
        msg = new MessageDecoder({ maxMsgSize: 1 << 20, maxObjSize: 1 << 22 }).decode(resp.body);
      } catch {
        msg = null;
      }
    }
    if (msg) this.lastServer = msg;
    return { resp, msg, sent: body };
  }

  /** The last server message decoded by `send`/`post` (package 1 resent after a challenge answers its SyncHdr). */
  lastServer: Message | null = null;

  /** Package 1: Alert 1201 (or 1200) + DevInfo Replace, plus extra records; after a challenge, first the Status for its SyncHdr. */
  pkg1Records(alert = 1201, extra: (OutRecord | OutCommand)[] = []): (OutRecord | OutCommand)[] {
    const prev = this.lastServer;
    const st: OutRecord[] = prev ? [{ kind: 'Status', msgRef: prev.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', targetRefs: [prev.hdr.target], sourceRefs: [prev.hdr.source], code: 200 }] : [];
    return [
      ...st,
      { kind: 'Alert', code: alert },
      { kind: 'Replace', items: [
        { source: './DevInfo/DevId', data: this.deviceId },
        { source: './DevInfo/Man', data: 'Acme' },
        { source: './DevInfo/Mod', data: 'Model-X' },
        { source: './DevInfo/DmV', data: '1.2' },
        { source: './DevInfo/Lang', data: 'en-US' },
      ] },
      ...extra,
    ];
  }

  pkg1(o: SendOptions = {}, alert = 1201, extra: (OutRecord | OutCommand)[] = []): Exchange {
    return this.send(this.pkg1Records(alert, extra), o);
  }

  /**
   * Our answer to a server message: Status for its SyncHdr and for every command (recursively),
   * Results for Gets with a value in `tree`. `code(cmd)` overrides a command's status.
   */
  answer(m: Message, code: (c: Command) => number | undefined = () => undefined, hdrCode = 200): (OutRecord | OutCommand)[] {
    const out: OutRecord[] = [{ kind: 'Status', msgRef: m.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', targetRefs: [m.hdr.target], sourceRefs: [m.hdr.source], code: hdrCode }];
    const walk = (cmds: Command[]): void => {
      for (const c of cmds) {
        if (c.name === 'Status' || c.name === 'Results') continue;
        const isGet = c.name === 'Get';
        const target = c.items[0]?.target;
        const value = target !== undefined ? this.tree.get(target) : undefined;
        const st = code(c) ?? (isGet && value === undefined ? 404 : c.items.some((it) => it.moreData) ? 213 : 200);
        if (c.name === 'Alert' && c.data?.text() === '1223') continue;
        const s: OutStatus = { kind: 'Status', msgRef: m.hdr.msgId, cmdRef: c.cmdId ?? '', cmd: c.name, code: st };
        if (target !== undefined) s.targetRefs = [target];
        out.push(s);
        if (isGet && st === 200 && value !== undefined) {
          out.push({ kind: 'Results', msgRef: m.hdr.msgId, cmdRef: c.cmdId ?? '', items: [{ source: target!, data: value }] });
        }
        if (c.children) walk(c.children);
      }
    };
    walk(m.body);
    return out;
  }
}

/** Last element (QuickJS 2021 has no Array.prototype.at). */
export function last<T>(a: readonly T[]): T | undefined {
  return a[a.length - 1];
}

/** Names and CmdIDs of a message's top-level body ("Status:1", "Get:3"). */
export function shape(m: Message): string[] {
  return m.body.map((c) => `${c.name}:${c.cmdId}`);
}

/** The commands (not Status/Results) of a message. */
export function commandsOf(m: Message): Command[] {
  return m.body.filter((c) => c.name !== 'Status' && c.name !== 'Results');
}

/** The SyncHdr Status of a message. */
export function hdrStatus(m: Message): Command {
  const s = m.body.find((c) => c.name === 'Status' && c.cmdRef === '0');
  assert.ok(s, 'no SyncHdr Status');
  return s;
}

export function codeOf(c: Command): number {
  return parseInt(c.data?.text() ?? '', 10);
}

export function text(b: Uint8Array): string {
  return utf8Decode(b);
}
