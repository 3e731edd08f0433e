/**
 * The push router (OMA DM notification path): inbound SMS / WDP datagram → session decision.
 * `PushRouterCore` (./PushRouterCore: WSP, package #0, authentication, duplicates, rate limit, UI)
 * with the SMS bearers:
 *
 *   GSM SMS-DELIVER or CDMA WAP teleservice → port 2948 check → reassembly → WSP Push → (core)
 *
 * WDP datagrams go straight to the core. Everything the core documents holds here too.
 */
import type { InboundSms, LogSink } from '../platform';
import { decodeGsmDeliver } from './gsm';
import { concatInfo, portInfo, WAP_PUSH_PORT } from './udh';
import { decodeCdmaSms, parseCdmaWdp, TELESERVICE_WAP, CDMA_MSG_POINT_TO_POINT } from './cdma';
import type { DuplicatePortsMode } from './cdma';
import { PushRouterCore } from './PushRouterCore';
import type { PushRouterOptions, SegmentStore } from './PushRouterCore';
import { Reassembler } from './Reassembler';

export * from './PushRouterCore';

export class PushRouter extends PushRouterCore {
  readonly #duplicatePorts: DuplicatePortsMode;
  readonly #log: LogSink;
  readonly #now: () => number;
  readonly #reasm: Reassembler;

  /** RangeError naming the field for invalid limits; TypeError for missing callbacks. */
  constructor(opts: PushRouterOptions) {
    super(opts);
    this.#duplicatePorts = opts.cdmaDuplicatePorts ?? 'detect';
    this.#log = opts.log;
    this.#now = opts.now;
    const l = this.limits;
    this.#reasm = new Reassembler({ maxPending: l.maxPending, maxSegments: l.maxSegments, maxMessageBytes: l.maxMessageBytes, timeoutMs: l.timeoutMs },
      (_key, reason, received, total) => this.reportRejection('incomplete', `${reason === 'timeout' ? 'timed out' : 'evicted for a newer message'} with ${received} of ${total} segments`));
  }

  protected override segments(): SegmentStore {
    return this.#reasm;
  }

  protected override bearer(sms: InboundSms): Uint8Array | null {
    return sms.kind === 'gsm' ? this.#gsm(sms) : sms.kind === 'cdma' ? this.#cdma(sms.bytes) : super.bearer(sms);
  }

  /** GSM: returns the complete WSP payload, or null while segments are pending. */
  #gsm(sms: InboundSms): Uint8Array | null {
    const d = decodeGsmDeliver(sms.bytes, { smsc: sms.smsc === true });
    const ports = portInfo(d.udh);
    const concat = concatInfo(d.udh);
    if (ports && ports.dst !== WAP_PUSH_PORT) this.fail('wrong-port', `destination port ${ports.dst}`);
    if (!ports && !concat) this.fail('wrong-port', 'no application port (ordinary SMS)');
    if (d.alphabet !== '8bit') {
      if (!ports) this.fail('wrong-port', `no application port (${d.alphabet} SMS)`);
      this.fail('malformed', `WAP push with ${d.alphabet} data coding`);
    }
    if (!concat) return d.ud;
    const key = `g|${d.originator.number}|${concat.refBits}|${concat.ref}|${concat.total}`;
    return this.#segment(key, concat.seq - 1, concat.total, d.ud, ports ? ports.dst : -1);
  }

  /** CDMA: returns the complete WSP payload, or null while segments are pending. */
  #cdma(bytes: Uint8Array): Uint8Array | null {
    const m = decodeCdmaSms(bytes);
    if (m.messageType !== CDMA_MSG_POINT_TO_POINT) this.fail('wrong-port', `CDMA message type ${m.messageType}`);
    if (m.teleservice !== TELESERVICE_WAP) this.fail('wrong-port', `teleservice ${m.teleservice ?? 'absent'} is not WAP`);
    if (!m.userData) this.fail('malformed', 'WAP message without user data');
    if (m.userData.encoding !== 0) this.fail('malformed', `WAP user data encoding ${m.userData.encoding} is not octet`);
    const w = parseCdmaWdp(m.userData.bytes, { duplicatePorts: this.#duplicatePorts });
    if (w.skippedDuplicatePorts) this.#log('debug', 'push: skipped duplicated CDMA WDP ports');
    if (w.segment === 0 && w.dstPort !== WAP_PUSH_PORT) this.fail('wrong-port', `destination port ${w.dstPort}`);
    if (w.total === 1) return w.payload;
    const key = `c|${m.originator?.address ?? ''}|${m.messageId?.id ?? -1}|${w.total}`;
    return this.#segment(key, w.segment, w.total, w.payload, w.segment === 0 ? w.dstPort : -1);
  }

  /**
   * Adds one segment of a concatenated message: the complete payload, or null while segments are
   * pending; duplicates, refusals and a wrong destination port are rejections. `port` is the
   * segment's destination port, -1 when it carries none.
   */
  #segment(key: string, seq: number, total: number, data: Uint8Array, port: number): Uint8Array | null {
    const r = this.#reasm.add(key, seq, total, data, this.#now(), port);
    switch (r.status) {
      case 'pending':
        this.#log('debug', 'push: segment buffered', { received: r.received, total: r.total });
        return null;
      case 'duplicate': return this.fail('duplicate', `duplicate segment ${seq + 1} of ${total}`);
      case 'refused': return this.fail('incomplete', `segment refused: ${r.reason}`);
      case 'complete':
        if (r.tag !== WAP_PUSH_PORT) this.fail('wrong-port', r.tag < 0 ? 'no application port in any segment' : `destination port ${r.tag}`);
        return r.data;
    }
  }
}
