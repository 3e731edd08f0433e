/**
 * Response builder: writes a SyncML message (header, then records in DTD element order) straight
 * into a DocWriter's preallocated buffer. `add()` writes a whole record or nothing: when a record
 * does not fit the size limit, the writer is rolled back and `add()` returns false, so the caller
 * carries the record over to the next message (MaxMsgSize handling). Room for closing the message
 * (`<Final/></SyncBody></SyncML>`) is always kept in reserve.
 */
import type { DocWriter } from '../Writer';
import type { DmVersion, Meta, OutCommand, OutHeader, OutItem, OutRecord, OutResults, OutStatus } from '../model';
import { Tag } from '../tokens';

/** Bytes kept free to close a message: generous for XML with indentation. */
export const CLOSE_RESERVE = 96;

export class MessageBuilder {
  readonly w: DocWriter;
  #version: DmVersion = '1.2';
  #records = 0;
  /** Capacity kept unused to honour a message limit smaller than the buffer. */
  #slack = 0;

  constructor(writer: DocWriter) {
    this.w = writer;
  }

  /** Number of records added since `begin`. */
  get records(): number {
    return this.#records;
  }

  /**
   * Starts a message: header and `<SyncBody>`. `limit` (default: the buffer capacity) is the
   * largest whole message allowed, e.g. the peer's MaxMsgSize. Returns false when even the header
   * does not fit.
   */
  begin(hdr: OutHeader, limit: number = this.w.capacity): boolean {
    const w = this.w;
    this.#version = hdr.version;
    this.#records = 0;
    this.#slack = Math.max(0, w.capacity - limit);
    w.setReserve(0);
    w.begin(hdr.version);
    w.setReserve(CLOSE_RESERVE + this.#slack);
    w.open(Tag.SyncML);
    w.open(Tag.SyncHdr);
    w.leaf(Tag.VerDTD, hdr.version === '1.2' ? '1.2' : '1.1');
    w.leaf(Tag.VerProto, hdr.version === '1.2' ? 'DM/1.2' : 'DM/1.1');
    w.leaf(Tag.SessionID, hdr.sessionId);
    w.leaf(Tag.MsgID, hdr.msgId);
    this.#loc(Tag.Target, hdr.target, hdr.targetName);
    this.#loc(Tag.Source, hdr.source, hdr.sourceName);
    if (hdr.respUri !== undefined) w.leaf(Tag.RespURI, hdr.respUri);
    if (hdr.cred) {
      w.open(Tag.Cred);
      this.#meta(hdr.cred.meta);
      w.leaf(Tag.Data, hdr.cred.data);
      w.close();
    }
    if (hdr.meta) this.#meta(hdr.meta);
    w.close();
    w.open(Tag.SyncBody);
    return !w.overflow;
  }

  /** Adds one record with the given CmdID; false (and nothing written) if it does not fit. */
  add(rec: OutRecord | OutCommand, cmdId: string): boolean {
    const w = this.w;
    const m = w.mark();
    switch (rec.kind) {
      case 'Status': this.#status(rec as OutStatus, cmdId); break;
      case 'Results': this.#results(rec as OutResults, cmdId); break;
      default:
        // client Alert/Replace records are a subset of the command shape
        this.#command(rec as OutCommand, cmdId);
    }
    if (w.overflow) {
      w.reset(m);
      return false;
    }
    this.#records++;
    return true;
  }

  /** Bytes that `add(rec)` would need, measured by writing and rolling back (not counting CmdID growth). */
  fits(rec: OutRecord | OutCommand, cmdId: string): boolean {
    const m = this.w.mark();
    const ok = this.add(rec, cmdId);
    if (ok) {
      this.w.reset(m);
      this.#records--;
    }
    return ok;
  }

  /** Closes the message and returns its bytes (a view into the writer's buffer). */
  finish(final: boolean): Uint8Array {
    const w = this.w;
    w.setReserve(this.#slack);
    if (final) w.empty(Tag.Final);
    w.close(); // SyncBody
    w.close(); // SyncML
    if (w.overflow) throw new RangeError('message buffer too small to close the message');
    return w.bytes();
  }

  // ------------------------------------------------------------------

  #loc(tag: number, uri: string, name?: string): void {
    const w = this.w;
    w.open(tag);
    w.leaf(Tag.LocURI, uri);
    if (name !== undefined) w.leaf(Tag.LocName, name);
    w.close();
  }

  #meta(m: Meta | undefined): void {
    if (!m) return;
    const w = this.w;
    // MetInf content order: Format, Type, Mark, Size, Version, NextNonce, MaxMsgSize, MaxObjSize, EMI
    if (m.format === undefined && m.type === undefined && m.mark === undefined && m.size === undefined && m.version === undefined
      && m.nextNonce === undefined && m.maxMsgSize === undefined && m.maxObjSize === undefined && m.emi === undefined) return;
    w.open(Tag.Meta);
    if (m.format !== undefined) w.leaf(Tag.Format, m.format);
    if (m.type !== undefined) w.leaf(Tag.Type, m.type);
    if (m.mark !== undefined) w.leaf(Tag.Mark, m.mark);
    if (m.size !== undefined) w.leaf(Tag.Size, String(m.size));
    if (m.version !== undefined) w.leaf(Tag.Version, m.version);
    if (m.nextNonce !== undefined) w.leaf(Tag.NextNonce, m.nextNonce);
    if (m.maxMsgSize !== undefined) w.leaf(Tag.MaxMsgSize, String(m.maxMsgSize));
    if (m.maxObjSize !== undefined) w.leaf(Tag.MaxObjSize, String(m.maxObjSize));
    if (m.emi) for (const e of m.emi) w.leaf(Tag.EMI, e);
    w.close();
  }

  #item(it: OutItem): void {
    const w = this.w;
    w.open(Tag.Item);
    if (it.target !== undefined) this.#loc(Tag.Target, it.target);
    if (it.source !== undefined) this.#loc(Tag.Source, it.source, it.sourceName);
    this.#meta(it.meta);
    if (it.data !== undefined) {
      if (typeof it.data === 'string') w.leaf(Tag.Data, it.data);
      else w.leafBytes(Tag.Data, it.data, true);
    }
    if (it.moreData) w.empty(Tag.MoreData);
    w.close();
  }

  #status(s: OutStatus, cmdId: string): void {
    const w = this.w;
    w.open(Tag.Status);
    w.leaf(Tag.CmdID, cmdId);
    w.leaf(Tag.MsgRef, s.msgRef);
    w.leaf(Tag.CmdRef, s.cmdRef);
    w.leaf(Tag.Cmd, s.cmd);
    if (s.targetRefs) for (const r of s.targetRefs) w.leaf(Tag.TargetRef, r);
    if (s.sourceRefs) for (const r of s.sourceRefs) w.leaf(Tag.SourceRef, r);
    if (s.chal) {
      w.open(Tag.Chal);
      this.#meta(s.chal.meta);
      w.close();
    }
    w.leaf(Tag.Data, String(s.code));
    if (s.items) for (const it of s.items) this.#item(it);
    w.close();
  }

  #results(r: OutResults, cmdId: string): void {
    const w = this.w;
    w.open(Tag.Results);
    w.leaf(Tag.CmdID, cmdId);
    w.leaf(Tag.MsgRef, r.msgRef);
    w.leaf(Tag.CmdRef, r.cmdRef);
    this.#meta(r.meta);
    if (r.targetRef !== undefined) w.leaf(Tag.TargetRef, r.targetRef);
    if (r.sourceRef !== undefined) w.leaf(Tag.SourceRef, r.sourceRef);
    for (const it of r.items) this.#item(it);
    w.close();
  }

  /**
   * A command (client Alert/Replace, or a server command for the test server). Children of
   * Atomic/Sequence are numbered after their parent (cmdId+1, …): callers advance their counter by
   * `commandSpan()`.
   */
  #command(c: OutCommand, cmdId: string): void {
    const w = this.w;
    const tag = COMMAND_TAGS[c.kind];
    w.open(tag);
    w.leaf(Tag.CmdID, cmdId);
    if (c.noResp) w.empty(Tag.NoResp);
    if (c.kind === 'Alert') {
      w.leaf(Tag.Data, String(c.code ?? 0));
      if (c.correlator !== undefined && this.#version === '1.2') w.leaf(Tag.Correlator, c.correlator);
      if (c.items) for (const it of c.items) this.#item(it);
      w.close();
      return;
    }
    this.#meta(c.meta);
    if (c.kind === 'Exec' && c.correlator !== undefined && this.#version === '1.2') w.leaf(Tag.Correlator, c.correlator);
    if (c.children) {
      let n = parseInt(cmdId, 10) + 1;
      for (const ch of c.children) {
        this.#command(ch, String(n));
        n += commandSpan(ch);
      }
    }
    if (c.items) for (const it of c.items) this.#item(it);
    w.close();
  }
}

/** Number of CmdIDs a server command uses (itself plus nested children). */
export function commandSpan(c: OutCommand): number {
  let n = 1;
  if (c.children) for (const ch of c.children) n += commandSpan(ch);
  return n;
}

const COMMAND_TAGS: Record<OutCommand['kind'], number> = {
  Add: Tag.Add, Replace: Tag.Replace, Delete: Tag.Delete, Get: Tag.Get, Exec: Tag.Exec, Copy: Tag.Copy,
  Alert: Tag.Alert, Atomic: Tag.Atomic, Sequence: Tag.Sequence,
};
