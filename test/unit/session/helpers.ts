/** Session test helpers (portable): a scripted fake server side and a fake DPU. */
import { MessageDecoder } from '../../../src/codec/decode';
import type { Command, Message, OutCommand, OutHeader, OutResults, OutStatus, OutAlert } from '../../../src/codec/model';
import { MessageBuilder, commandSpan } from '../../../src/codec/syncml/Builder';
import { WbxmlWriter } from '../../../src/codec/wbxml/Writer';
import type { SessionAccount, SessionDpu, SessionHooks, OutgoingMessage, IncomingMessage } from '../../../src/session/Session';
import type { LogLevel, UiAnswer, UiRequest } from '../../../src/platform';
import { utf8Encode } from '../../../src/util/utf8';

export const DEV_ID = 'IMEI:493005100592800';
export const SERVER_URL = 'https://dm.example.com/dm';

export function account(over: Partial<SessionAccount> = {}): SessionAccount {
  return {
    serverId: 'com.mgmtsrv.manage', addr: SERVER_URL, authPref: '',
    client: { type: '', name: 'Bruce2', secret: utf8Encode('OhBehave'), nonce: new Uint8Array(0) },
    server: { type: '', name: '', secret: new Uint8Array(0), nonce: new Uint8Array(0) },
    ...over,
  };
}

const decoder = new MessageDecoder({ maxMsgSize: 1 << 20 });
/** Decodes what the session sent (a copy: the decoder's views must outlive the next decode). */
export function decodeSent(m: OutgoingMessage): Message {
  return new MessageDecoder({ maxMsgSize: 1 << 20 }).decode(m.body.slice());
}
void decoder;

export interface ServerMsg {
  msgId: number;
  sessionId?: string;
  final?: boolean;
  statuses?: Omit<OutStatus, 'kind'>[];
  cmds?: OutCommand[];
  hdr?: Partial<OutHeader>;
  version?: '1.2' | '1.1.2';
}

/** A server message (WBXML) as the session would receive it. */
export function serverMsg(m: ServerMsg, sessionId = '1'): IncomingMessage {
  const b = new MessageBuilder(new WbxmlWriter(1 << 20));
  b.begin({ version: m.version ?? '1.2', sessionId: m.sessionId ?? sessionId, msgId: String(m.msgId), target: DEV_ID, source: SERVER_URL, ...(m.hdr ?? {}) });
  let id = 1;
  for (const s of m.statuses ?? []) b.add({ kind: 'Status', ...s }, String(id++));
  for (const c of m.cmds ?? []) {
    b.add(c, String(id));
    id += commandSpan(c);
  }
  return { contentType: 'application/vnd.syncml.dm+wbxml', body: b.finish(m.final ?? true).slice() };
}

/** Status for the client's SyncHdr. */
export function hdrStatus(msgRef: number, code: number, chal?: OutStatus['chal']): Omit<OutStatus, 'kind'> {
  const s: Omit<OutStatus, 'kind'> = { msgRef: String(msgRef), cmdRef: '0', cmd: 'SyncHdr', code, targetRefs: [SERVER_URL], sourceRefs: [DEV_ID] };
  if (chal) s.chal = chal;
  return s;
}

/** A DPU stand-in: Status 200 for everything, Results for Get with `values[uri]`; UI alerts ask. */
export class FakeDpu implements SessionDpu {
  runs: { cmds: readonly Command[]; msgId: string }[] = [];
  constructor(public values: Record<string, string | Uint8Array> = {}) {}
  *run(cmds: readonly Command[], ctx: { serverId: string; msgId: string }, out: (r: OutStatus | OutResults | OutAlert) => void): Generator<UiRequest, { pendingChunk?: boolean }, UiAnswer> {
    this.runs.push({ cmds, msgId: ctx.msgId });
    for (const c of cmds) {
      const st: OutStatus = { kind: 'Status', msgRef: ctx.msgId, cmdRef: c.cmdId ?? '', cmd: c.name, code: 200 };
      if (c.name === 'Alert' && c.data?.text() === '1101') {
        const a = yield { kind: 'confirm', text: c.items[1]?.data?.text() ?? '' };
        st.code = a.outcome === 'ok' ? 200 : a.outcome === 'no' ? 304 : 214;
        out(st);
        continue;
      }
      const t = c.items[0]?.target;
      if (t) st.targetRefs = [t];
      out(st);
      if (c.name === 'Get' && t) {
        const v = this.values[t];
        if (v !== undefined) out({ kind: 'Results', msgRef: ctx.msgId, cmdRef: c.cmdId ?? '', items: [{ source: t, data: v }] });
      }
    }
    return {};
  }
}

export class Hooks implements SessionHooks {
  commits = 0;
  nonces: { side: 'client' | 'server'; nonce: Uint8Array }[] = [];
  alertStatus: { id: string; code: number }[] = [];
  pendingAlerts?: () => import('../../../src/session/Session').PendingAlert[];
  logs: { level: LogLevel; msg: string }[] = [];
  #seed = 7;
  constructor(public dpu: SessionDpu = new FakeDpu()) {}
  commit(): void {
    this.commits++;
  }
  setNonce(side: 'client' | 'server', nonce: Uint8Array): void {
    this.nonces.push({ side, nonce: nonce.slice() });
  }
  onAlertStatus(id: string, code: number): void {
    this.alertStatus.push({ id, code });
  }
  randomFill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i++) out[i] = (this.#seed = (this.#seed * 1103515245 + 12345) >>> 0) >>> 24;
  }
  log = (level: LogLevel, msg: string): void => {
    this.logs.push({ level, msg });
  };
}
