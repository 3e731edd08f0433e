/**
 * FUMO unit-test helpers (portable: src/ and test/helpers/fake-platform only).
 *  - FakeHttp: an HTTP/1.1 file server on the FakeNetwork with Range support and fault knobs.
 *  - Rig: a device in memory (tree, DPU, alert queue, fake NOR flash with two slots, FUMO), which
 *    can be "rebooted" (new objects over the same storage and flash media, bootloader first).
 *  - cmd/item: hand-built DM commands for the DPU.
 */
import type { Command, CommandName, DataValue, Item, Meta } from '../../../src/codec/model';
import type { DpuRecord } from '../../../src/dpu/Dpu';
import { Dpu } from '../../../src/dpu/Dpu';
import { AlertQueue } from '../../../src/agent/AlertQueue';
import { NativeFlash } from '../../../src/native/Flash';
import { FakeFlashBinding, FakeFlashMedia } from '../../../src/native/fake';
import type { Blob, ByteStream, StreamEvents, StreamTarget } from '../../../src/platform';
import { PlatformError } from '../../../src/platform';
import type { PendingAlert } from '../../../src/session/Session';
import { Tree } from '../../../src/tree/Tree';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { Fumo } from '../../../src/fumo/index';
import type { FumoCsp, FumoOptions } from '../../../src/fumo/FumoCsp';
import type { FlashDevice } from '../../../src/fumo/slot';
import { BootControl } from '../../../src/fumo/BootControl';
import type { BootDecision } from '../../../src/fumo/BootControl';
import { encodeImage, omadmImageCheck } from '../../../src/fumo/image';
import { FakePlatform, MemStorage } from '../../helpers/fake-platform';

// ------------------------------------------------------------------------------------------ HTTP

/** A file the fake server serves. */
export interface FakeFile {
  body: Uint8Array;
  type?: string;
}

/** Behaviour of the server for one request (chosen per request by `FakeHttp.faults`). */
export interface HttpBehaviour {
  /** Close the connection after sending this many body bytes. */
  dropAfter?: number;
  /** Answer 200 with the whole file even to a Range request. */
  ignoreRange?: boolean;
  /** Answer 206 with a Content-Range starting elsewhere. */
  wrongRange?: boolean;
  /** Fixed HTTP status with an empty body (plus `location` for redirects). */
  status?: number;
  location?: string;
  /** Omit Content-Length (body delimited by close). */
  noLength?: boolean;
  /** Transfer-Encoding: chunked. */
  chunked?: boolean;
  /** Announce this many more bytes than sent (then close). */
  extraLength?: number;
  /** Never answer (the client's idle timeout fires). */
  stall?: boolean;
  /** Refuse the connection with this error code (ECONNREFUSED, ECERT…). */
  refuse?: string;
}

/** A request the server saw. */
export interface SeenRequest {
  host: string;
  port: number;
  tls: boolean;
  method: string;
  path: string;
  range: string | null;
}

/** An HTTP file server on a FakePlatform's network, delivering `chunk` bytes per timer tick. */
export class FakeHttp {
  readonly files = new Map<string, FakeFile>();
  readonly requests: SeenRequest[] = [];
  /** Behaviour for request number `n` (0-based). */
  faults: (n: number, req: SeenRequest) => HttpBehaviour = () => ({});
  /** Body bytes per onData event. */
  chunk = 1000;

  install(p: FakePlatform): void {
    p.network.handler = (t, ev) => this.#connect(p, t, ev);
  }

  #connect(p: FakePlatform, t: StreamTarget, ev: StreamEvents): ByteStream {
    let closed = false;
    let buf = '';
    let answered = false;
    const close = (err: PlatformError | null): void => {
      if (closed) return;
      closed = true;
      p.setTimer(0, () => ev.onClose(err));
    };
    const first = this.faults(this.requests.length, { host: t.host, port: t.port, tls: t.tls, method: '', path: '', range: null });
    if (first.refuse) {
      close(new PlatformError(first.refuse, 'refused by the fake server'));
      return { write() {}, close() {} };
    }
    p.setTimer(0, () => { if (!closed) ev.onOpen(); });
    return {
      write: (data) => {
        if (closed || answered) return;
        buf += utf8Decode(data);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        answered = true;
        const lines = buf.slice(0, end).split('\r\n');
        const [method, path] = lines[0]!.split(' ');
        const hdr = new Map<string, string>();
        for (const l of lines.slice(1)) { const i = l.indexOf(':'); hdr.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()); }
        const req: SeenRequest = { host: t.host, port: t.port, tls: t.tls, method: method!, path: path!, range: hdr.get('range') ?? null };
        const n = this.requests.length;
        this.requests.push(req);
        this.#respond(p, req, this.faults(n, req), ev, () => closed, close);
      },
      close: () => close(null),
    };
  }

  #respond(p: FakePlatform, req: SeenRequest, b: HttpBehaviour, ev: StreamEvents, isClosed: () => boolean, close: (e: PlatformError | null) => void): void {
    if (b.stall) return;
    const send = (parts: Uint8Array[], then: () => void): void => {
      let i = 0;
      const tick = (): void => {
        if (isClosed()) return;
        if (i >= parts.length) { then(); return; }
        ev.onData(parts[i++]!);
        p.setTimer(1, tick);
      };
      p.setTimer(1, tick);
    };
    const head = (status: number, headers: [string, string][]): Uint8Array =>
      utf8Encode(`HTTP/1.1 ${status} X\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    if (b.status !== undefined) {
      const h: [string, string][] = [['Content-Length', '0']];
      if (b.location) h.push(['Location', b.location]);
      send([head(b.status, h)], () => close(null));
      return;
    }
    const f = this.files.get(req.path);
    if (!f) { send([head(404, [['Content-Length', '0']])], () => close(null)); return; }
    let start = 0;
    let status = 200;
    const m = req.range ? /^bytes=([0-9]+)-$/.exec(req.range) : null;
    const headers: [string, string][] = [['Content-Type', f.type ?? 'application/octet-stream']];
    if (m && !b.ignoreRange) {
      start = parseInt(m[1]!, 10);
      if (start >= f.body.length) {
        send([head(416, [['Content-Range', `bytes */${f.body.length}`], ['Content-Length', '0']])], () => close(null));
        return;
      }
      status = 206;
      const shown = b.wrongRange ? Math.max(0, start - 1) : start;
      headers.push(['Content-Range', `bytes ${shown}-${f.body.length - 1}/${f.body.length}`]);
    }
    let body = f.body.subarray(start);
    if (b.chunked) headers.push(['Transfer-Encoding', 'chunked']);
    else if (!b.noLength) headers.push(['Content-Length', String(body.length + (b.extraLength ?? 0))]);
    if (b.dropAfter !== undefined) body = body.subarray(0, b.dropAfter);
    const parts: Uint8Array[] = [head(status, headers)];
    for (let o = 0; o < body.length; o += this.chunk) {
      const piece = body.subarray(o, o + this.chunk);
      if (b.chunked) parts.push(utf8Encode(`${piece.length.toString(16)}\r\n`), piece, utf8Encode('\r\n'));
      else parts.push(piece);
    }
    if (b.chunked && b.dropAfter === undefined) parts.push(utf8Encode('0\r\n\r\n'));
    send(parts, () => close(null));
  }
}

// ------------------------------------------------------------------------------------------ DM commands

export function data(v: string | Uint8Array): DataValue {
  const bytes = typeof v === 'string' ? utf8Encode(v) : v;
  return { kind: typeof v === 'string' ? 'text' : 'opaque', bytes, text: () => utf8Decode(bytes) };
}

export function item(target: string, value?: string | Uint8Array, meta?: Meta, moreData = false): Item {
  const it: Item = { moreData, target };
  if (value !== undefined) it.data = data(value);
  if (meta) it.meta = meta;
  return it;
}

let auto = 0;
export function cmd(name: CommandName, items: Item[], extra: Partial<Command> = {}): Command {
  return { name, element: name, cmdId: String(++auto), noResp: false, items, ...extra };
}

// ------------------------------------------------------------------------------------------ power cuts

/** Thrown where the power goes (like FakePowerCut for flash): unwinds everything up to the test. */
export class Cut extends Error {
  override readonly name = 'Cut';
}

/** One countable write: a storage blob write, a flash erase, or one flash page program. */
export interface WriteOp {
  kind: 'store' | 'erase' | 'program';
  /** Blob name (store) or flash byte offset (erase/program). */
  where: string;
}

/**
 * Counts every write of the device (storage writes, flash erases, flash page programs) in one
 * sequence and cuts the power at write number `target` (1-based; 0 = never): a storage write
 * stores only its first `tear` bytes, a page program only its first `tear` bytes (the rest of the
 * page stays erased), an erase only its first `tear` bytes.
 */
export class CutPlan {
  target = 0;
  tear = 0;
  count = 0;
  fired = false;
  /** The power is off: every further write throws Cut (a handler that swallowed the first Cut
   *  cannot write anything more). Cleared by the next power-on. */
  dead = false;
  /** Every op seen while `record` is true (for enumerating the crash points). */
  record = false;
  readonly ops: WriteOp[] = [];
  /** Counts `n` ops starting now; returns the 1-based index within them that must be cut, or 0. */
  take(n: number, kind: WriteOp['kind'], where: (i: number) => string): number {
    if (this.record) for (let i = 0; i < n; i++) this.ops.push({ kind, where: where(i) });
    const first = this.count + 1;
    this.count += n;
    if (this.fired || this.target === 0 || this.target < first || this.target > this.count) return 0;
    this.fired = true;
    this.dead = true;
    return this.target - first + 1;
  }
}

/** MemStorage whose blob writes are counted (and cut) by a CutPlan. */
export class CutStorage extends MemStorage {
  constructor(readonly plan: CutPlan) {
    super();
  }
  override open(name: string, create: boolean): Blob {
    const b = super.open(name, create);
    const plan = this.plan;
    return {
      size: () => b.size(), read: (o, d) => b.read(o, d), truncate: (n) => b.truncate(n), sync: () => b.sync(), close: () => b.close(),
      write: (o, src) => {
        if (plan.dead) throw new Cut('the power is off');
        if (plan.take(1, 'store', () => name) === 0) { b.write(o, src); return; }
        if (plan.tear > 0) b.write(o, src.subarray(0, Math.min(plan.tear, src.length)));
        throw new Cut(`power cut writing ${name}`);
      },
    };
  }
}

/** A FlashDevice over NativeFlash whose erases and page programs are counted by a CutPlan; the cut
 *  itself is the fake binding's simulated power cut (FakePowerCut), armed for the exact page. */
export class CutFlash implements FlashDevice {
  constructor(readonly inner: NativeFlash, readonly plan: CutPlan) {}
  get size(): number { return this.inner.size; }
  get eraseSize(): number { return this.inner.eraseSize; }
  get pageSize(): number { return this.inner.pageSize; }
  erase(block: number): void {
    if (this.plan.dead) throw new Cut('the power is off');
    if (this.plan.take(1, 'erase', () => String(block * this.inner.eraseSize)) !== 0) {
      this.inner.simFault({ nth: 1, tearBytes: this.plan.tear, countErases: true, mode: 'exit' });
    }
    this.inner.erase(block);
  }
  write(offset: number, d: Uint8Array): void {
    if (this.plan.dead) throw new Cut('the power is off');
    const page = this.inner.pageSize;
    const k = this.plan.take(Math.ceil(d.length / page), 'program', (i) => String(offset + i * page));
    if (k !== 0) this.inner.simFault({ nth: k, tearBytes: this.plan.tear, mode: 'exit' });
    this.inner.write(offset, d);
  }
  read(offset: number, dst: Uint8Array): number { return this.inner.read(offset, dst); }
  sync(): void { this.inner.sync(); }
}

// ------------------------------------------------------------------------------------------ device rig

export const ERASE = 4096;
export const PAGE = 256;
export const SLOT = 64 * 1024;
export const SERVER_ID = 'srv1';
export const FULL_ACL = 'Add=*&Get=*&Replace=*&Exec=*&Delete=*';

/** Deterministic payload bytes. */
export function payload(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 0xff; }
  return b;
}

/** One power-on of the in-memory device. */
export interface Boot {
  platform: FakePlatform;
  tree: Tree;
  dpu: Dpu;
  alerts: AlertQueue;
  flash: FlashDevice;
  fumo: FumoCsp;
  /** runSession calls (serverId asked for). */
  sessions: (string | undefined)[];
  reboots: number;
  decision: BootDecision | null;
}

/**
 * A device whose storage and flash survive `boot()` calls. Each boot runs the simulated bootloader
 * (BootControl.decideBoot over the image check), then builds the agent parts and attaches FUMO.
 */
export class Rig {
  /** Counts (and, when armed, cuts) every write; inactive by default. */
  readonly plan = new CutPlan();
  readonly storage: MemStorage = new CutStorage(this.plan);
  readonly media = new FakeFlashMedia();
  readonly http = new FakeHttp();
  /** Versions whose boot "fails" (the bootloader's trial does not reach the OS). */
  failVersions = new Set<string>();
  cur: Boot | null = null;
  opts: Partial<FumoOptions>;
  #native: NativeFlash | null = null;

  constructor(opts: Partial<FumoOptions> = {}, initialVersion = '1.0') {
    this.opts = opts;
    // Factory image in slot A.
    const b = new FakeFlashBinding(this.media);
    const f = NativeFlash.open(b, 'flash', { kind: 'sim', eraseSize: ERASE, pageSize: PAGE, size: 2 * SLOT });
    const img = imageBytes(initialVersion, 3000, 7);
    for (let o = 0; o < img.length; o += ERASE) {
      const blk = new Uint8Array(ERASE).fill(0xff);
      blk.set(img.subarray(o, o + ERASE));
      f.erase(o / ERASE);
      f.write(o, blk);
    }
    f.close();
  }

  /** Image bytes of slot `s` as the bootloader sees them: valid image → its version, else null. */
  slotVersion(s: number): string | null {
    const img = this.media.image('flash')!;
    const slot = img.subarray(s * SLOT, (s + 1) * SLOT);
    const hdrLen = 96;
    const len = new DataView(slot.buffer, slot.byteOffset + 8, 4).getUint32(0) + hdrLen;
    if (len > SLOT) return null;
    const c = omadmImageCheck(len);
    c.update(slot.subarray(0, len));
    return c.finish() === 200 ? c.header!.version : null;
  }

  /** Power-on: bootloader, then the OS with FUMO. Boots of `failVersions` loop back to the bootloader. */
  boot(): Boot {
    this.plan.dead = false;
    if (this.cur) { this.cur.fumo.close(); this.#native?.close(); }
    let decision: BootDecision | null = null;
    for (let i = 0; i < 10; i++) {
      const bc = new BootControl(this.storage);
      decision = bc.decideBoot((s) => this.slotVersion(s) !== null);
      if (!decision) throw new Error('bricked: no valid slot');
      const v = this.slotVersion(decision.slot)!;
      if (!this.failVersions.has(v)) break;
    }
    const platform = new FakePlatform(3, this.storage);
    this.http.install(platform);
    const tree = new Tree(platform, { rootAcl: FULL_ACL });
    const dpu = new Dpu(tree, { platform, limits: { maxObjSize: 1 << 20 } });
    const alerts = new AlertQueue(this.storage);
    const native = NativeFlash.open(new FakeFlashBinding(this.media), 'flash', { kind: 'sim', eraseSize: ERASE, pageSize: PAGE });
    this.#native = native;
    const flash = new CutFlash(native, this.plan);
    const sessions: (string | undefined)[] = [];
    const boot: Boot = { platform, tree, dpu, alerts, flash, fumo: null as unknown as FumoCsp, sessions, reboots: 0, decision };
    const host = {
      tree, alerts, platform,
      runSession: (o?: { serverId?: string }): Promise<unknown> => { sessions.push(o?.serverId); return Promise.resolve(null); },
    };
    boot.fumo = Fumo.attach(host, {
      flash, slots: [{ offset: 0, size: SLOT }, { offset: SLOT, size: SLOT }],
      reboot: () => { boot.reboots++; },
      download: { retryDelayMs: 10, maxRetryDelayMs: 100, idleTimeoutMs: 5000, connectTimeoutMs: 5000 },
      limits: { reportRetryMs: 1000 },
      ...this.opts,
    });
    this.cur = boot;
    return boot;
  }

  /** Runs DM commands for server `srv1` and commits the tree (as the session does after a message). */
  run(cmds: Command[], version: '1.2' | '1.1.2' = '1.2'): DpuRecord[] {
    const b = this.cur!;
    const recs: DpuRecord[] = [];
    const g = b.dpu.run(cmds, { serverId: SERVER_ID, msgId: '1', version }, (r) => recs.push(r));
    let s = g.next();
    while (!s.done) s = g.next({ outcome: 'cancel' });
    b.tree.commit();
    return recs;
  }

  /** Status codes of a run, in order. */
  codes(cmds: Command[], version: '1.2' | '1.1.2' = '1.2'): number[] {
    return this.run(cmds, version).filter((r) => r.kind === 'Status').map((r) => (r as { code: number }).code);
  }

  /** The server acknowledges every pending alert with `code`. */
  ack(code = 200): PendingAlert[] {
    const b = this.cur!;
    const p = b.alerts.pending();
    for (const a of p) b.alerts.status(a.id, code);
    return p;
  }
}

/** An image (header + payload) for version `v` with `n` payload bytes. */
export function imageBytes(v: string, n: number, seed: number): Uint8Array {
  return encodeImage(v, payload(n, seed));
}
