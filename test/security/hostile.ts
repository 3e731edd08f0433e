/**
 * A hostile DM server for the security tests (node-only): a plain HTTP listener that decodes each
 * client message and answers with bytes a test function builds, so tests can send what the
 * loopback server never would (forged HMACs, replayed messages, billion-laughs DOCTYPEs, giant
 * string tables, huge size claims). It records every request and response.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { MessageDecoder } from '../../src/codec/decode';
import type { Message } from '../../src/codec/model';

/** One exchange as the hostile server saw it. */
export interface Exchange {
  /** 1-based number of the request. */
  n: number;
  request: Message;
  requestBody: Buffer;
  requestHeaders: Record<string, string | string[] | undefined>;
  response: Answer;
}

/** What to answer. */
export interface Answer {
  status?: number;
  contentType?: string;
  headers?: Record<string, string>;
  body: Uint8Array | string;
}

export type Responder = (req: Message, n: number, history: readonly Exchange[]) => Answer;

export class HostileServer {
  readonly exchanges: Exchange[] = [];
  readonly #server: Server;
  port = 0;

  private constructor(respond: Responder) {
    const decoder = new MessageDecoder({ maxMsgSize: 1 << 20 });
    this.#server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        let msg: Message;
        try {
          msg = decoder.decode(new Uint8Array(body));
        } catch (e) {
          res.writeHead(400).end(String(e));
          return;
        }
        const n = this.exchanges.length + 1;
        const a = respond(msg, n, this.exchanges);
        this.exchanges.push({ n, request: msg, requestBody: body, requestHeaders: req.headers, response: a });
        const payload = typeof a.body === 'string' ? Buffer.from(a.body, 'utf8') : Buffer.from(a.body);
        res.writeHead(a.status ?? 200, { 'content-type': a.contentType ?? 'application/vnd.syncml.dm+xml', 'content-length': payload.length, ...(a.headers ?? {}) });
        res.end(payload);
      });
    });
  }

  static async start(respond: Responder): Promise<HostileServer> {
    const s = new HostileServer(respond);
    await new Promise<void>((ok) => s.#server.listen(0, '127.0.0.1', ok));
    s.port = (s.#server.address() as AddressInfo).port;
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/dm`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((ok) => this.#server.close(() => ok()));
  }
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * A server message (XML) answering `req`: SyncHdr echoing its SessionID and addresses, the Status
 * for its SyncHdr (200 unless given), then `commands` (raw XML), then Final unless `final` is false.
 * `hdrExtra` is inserted at the end of the SyncHdr, `prolog` before the root element.
 */
export function serverXml(req: Message, msgId: number, commands = '', opts: { final?: boolean; hdrExtra?: string; hdrStatus?: number; prolog?: string; firstCmdId?: number } = {}): string {
  const h = req.hdr;
  return `${opts.prolog ?? ''}<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>`
    + `<SessionID>${esc(h.sessionId)}</SessionID><MsgID>${msgId}</MsgID><Target><LocURI>${esc(h.source)}</LocURI></Target>`
    + `<Source><LocURI>${esc(h.target)}</LocURI></Source>${opts.hdrExtra ?? ''}</SyncHdr><SyncBody>`
    + `<Status><CmdID>1</CmdID><MsgRef>${esc(h.msgId)}</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>`
    + `<TargetRef>${esc(h.target)}</TargetRef><SourceRef>${esc(h.source)}</SourceRef><Data>${opts.hdrStatus ?? 200}</Data></Status>`
    + `${commands}${opts.final === false ? '' : '<Final/>'}</SyncBody></SyncML>`;
}

/** An end-of-session answer (statuses only, Final). */
export function endXml(req: Message, msgId: number): string {
  return serverXml(req, msgId);
}

const md5 = (...parts: (Buffer | string | Uint8Array)[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
  return h.digest();
};

/** The DM HMAC (facts §5.1) with node:crypto: mac = B64(H(B64(H(user:pw)):nonce:B64(H(body)))). */
export function oracleHmac(user: string, password: string, nonce: Uint8Array, body: Uint8Array | string): string {
  return md5(md5(`${user}:${password}`).toString('base64'), ':', nonce, ':', md5(typeof body === 'string' ? Buffer.from(body) : body).toString('base64')).toString('base64');
}

/** The NextNonce (raw bytes) of the Chal in the client's Status for our last SyncHdr, or null. */
export function clientChalNonce(req: Message): Uint8Array | null {
  const st = req.body.find((c) => c.name === 'Status' && c.cmdRef === '0');
  const n = st?.chal?.meta.nextNonce;
  return n === undefined ? null : new Uint8Array(Buffer.from(n, 'base64'));
}
