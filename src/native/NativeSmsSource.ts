/**
 * An SmsSource (src/platform.ts) over the native binding: the modem tty (AT dialogue in C) and/or a
 * WDP socket (push over IP, UDP 2948). Portable: the host supplies timers and fd readiness —
 *   Node:    binding.watch(h, cb) (uv_poll in the N-API shim)      → target/node/sms.ts
 *   QuickJS: os.setReadHandler(binding.handleFd(h), cb)            → the QuickJS host
 * No helper thread and no busy loop: work happens when the fd is readable, or when the AT machine's
 * own deadline (binding.smsWait) is due, and each turn handles at most `pdusPerTurn` PDUs before
 * yielding to the loop. PDUs that arrive before `onSms` is called wait in a bounded queue.
 *
 * GSM PDUs from the modem always start with the SMSC address (27.005 PDU mode: +CMT and +CMGR carry
 * it), so they are delivered with `smsc: true`. Datagrams are delivered as kind 'wdp'.
 */
import type { InboundSms, LogSink, PlatformError, SmsSource, TimerHandle } from '../platform';
import type { SmsBinding } from './binding';
import { NativeErrors } from './errors';

/** PDUs queued before `onSms` is called; more are dropped (counted). */
export const DEFAULT_SMS_QUEUE = 8;
/** PDUs / datagrams handled per loop turn before yielding. */
export const DEFAULT_SMS_PER_TURN = 4;

/** Bounds of the source (fixed memory). */
export interface SmsSourceLimits {
  /** PDUs held while no receiver is registered. Default DEFAULT_SMS_QUEUE. */
  queueMax: number;
  /** PDUs handled per turn of the host loop. Default DEFAULT_SMS_PER_TURN. */
  pdusPerTurn: number;
}

/** What the source needs from its host. */
export interface SmsHost {
  /** Calls `cb` once after `ms` milliseconds, from the host loop (Platform.setTimer). */
  setTimer(ms: number, cb: () => void): TimerHandle;
  /** Cancels a timer (Platform.clearTimer). */
  clearTimer(t: TimerHandle): void;
  /** Calls `onReadable` from the host loop whenever handle `h` (fd `fd`) is readable, until unwatch. */
  watch(h: number, fd: number, onReadable: () => void): void;
  /** Stops watching `h` (before it is closed). */
  unwatch(h: number, fd: number): void;
  /** Where runtime errors go when no `onError` is given (level 'error'). */
  log?: LogSink;
}

export interface SmsSourceOptions {
  /** Modem tty path (e.g. /dev/ttyUSB2, or the simulator's pty). Absent: no modem. */
  tty?: string;
  /** Ask the modem to store messages and announce them (+CMTI) instead of direct +CMT (default false). */
  stored?: boolean;
  /** Phase 2+ acknowledgements: AT+CSMS=1 and AT+CNMA after every +CMT (default true). */
  ack?: boolean;
  /** Leave the tty line speed alone (default false: 115200 baud). */
  keepSpeed?: boolean;
  /** Final-result timeout per AT command in ms (default: native SMS_DEFAULT_TIMEOUT_MS = 5000). */
  timeoutMs?: number;
  /** UDP port for WDP push over IP (2948 is the standard one; 0 = any free port). Absent: no WDP. */
  wdpPort?: number;
  /** Bind the WDP socket to 127.0.0.1 only (default false). */
  wdpLoopback?: boolean;
  /** Called (from the host loop) when a channel fails for good (modem gone, init failed); that channel is closed. */
  onError?: (err: PlatformError, channel: 'sms' | 'wdp') => void;
  limits?: Partial<SmsSourceLimits>;
}

/** SMS counters as returned by `stats()` (cumulative since open). */
export interface SmsStats {
  pdus: number;
  badPdus: number;
  overlongLines: number;
  ignoredLines: number;
  errors: number;
  timeouts: number;
  droppedIndications: number;
  acks: number;
  retries: number;
  state: 'init' | 'run' | 'failed';
  storedMode: boolean;
  ackMode: boolean;
  /** PDUs dropped by this source because its queue was full (no receiver yet). */
  droppedQueued: number;
  /** WDP datagrams dropped because they were larger than WDP_MAX_DATAGRAM. */
  droppedDatagrams: number;
}

interface Channel {
  kind: 'sms' | 'wdp';
  h: number;
  fd: number;
  timer: TimerHandle | null;
}

/** SmsSource over the native modem and/or WDP socket; see the file comment for the host contract. */
export class NativeSmsSource implements SmsSource {
  readonly #b: SmsBinding;
  readonly #host: SmsHost;
  readonly #err: NativeErrors;
  readonly #limits: SmsSourceLimits;
  readonly #onError: ((err: PlatformError, channel: 'sms' | 'wdp') => void) | undefined;
  /** receive buffer, sized for the larger of a PDU and a datagram */
  readonly #buf: Uint8Array;
  #sms: Channel | null = null;
  #wdp: Channel | null = null;
  #cb: ((sms: InboundSms) => void) | null = null;
  /** PDUs waiting for a receiver (bounded by limits.queueMax) */
  readonly #queue: InboundSms[] = [];
  #flushTimer: TimerHandle | null = null;
  #droppedQueued = 0;
  #droppedDatagrams = 0;
  #closed = false;

  /** Opens the channels at once (throws PlatformError: ENOENT, EACCES, EADDRINUSE...). */
  constructor(binding: SmsBinding, host: SmsHost, opts: SmsSourceOptions) {
    const c = binding.constants;
    this.#b = binding;
    this.#host = host;
    this.#err = new NativeErrors(binding.errno);
    this.#onError = opts.onError;
    this.#limits = {
      queueMax: opts.limits?.queueMax ?? DEFAULT_SMS_QUEUE,
      pdusPerTurn: opts.limits?.pdusPerTurn ?? DEFAULT_SMS_PER_TURN,
    };
    for (const [k, v] of Object.entries(this.#limits)) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`limits.${k} must be a positive integer, got ${String(v)}`);
    }
    if (opts.tty === undefined && opts.wdpPort === undefined) throw new TypeError('opts: give tty and/or wdpPort');
    const timeout = opts.timeoutMs ?? 0;
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > c.SMS_MAX_TIMEOUT_MS) {
      throw new RangeError(`opts.timeoutMs must be an integer in [0, ${c.SMS_MAX_TIMEOUT_MS}], got ${String(timeout)}`);
    }
    if (opts.wdpPort !== undefined && (!Number.isInteger(opts.wdpPort) || opts.wdpPort < 0 || opts.wdpPort > 65535)) {
      throw new RangeError(`opts.wdpPort must be an integer in [0, 65535], got ${String(opts.wdpPort)}`);
    }
    this.#buf = new Uint8Array(Math.max(c.SMS_PDU_MAX, c.WDP_MAX_DATAGRAM));
    try {
      if (opts.tty !== undefined) {
        const flags = (opts.stored === true ? c.SMS_STORED : 0) | (opts.ack !== false ? c.SMS_ACK : 0) |
          (opts.keepSpeed === true ? c.SMS_KEEP_SPEED : 0);
        const h = this.#err.check(binding.smsOpen(opts.tty, flags, timeout), `open modem ${opts.tty}`);
        this.#sms = this.#start('sms', h);
      }
      if (opts.wdpPort !== undefined) {
        const h = this.#err.check(binding.wdpOpen(opts.wdpPort, opts.wdpLoopback === true ? c.WDP_LOOPBACK : 0),
          `open WDP port ${opts.wdpPort}`);
        this.#wdp = this.#start('wdp', h);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  #start(kind: 'sms' | 'wdp', h: number): Channel {
    const fd = this.#err.check(this.#b.handleFd(h), `${kind} fd`);
    const ch: Channel = { kind, h, fd, timer: null };
    try {
      this.#host.watch(h, fd, () => this.#turn(ch));
    } catch (e) {
      this.#b.close(h);
      throw e;
    }
    // First turn from the loop: writes nothing new, but arms the AT timeout of the init command.
    ch.timer = this.#host.setTimer(0, () => this.#turn(ch));
    return ch;
  }

  /** Registers the receiver; queued PDUs follow from the host loop (never inside this call). */
  onSms(cb: (sms: InboundSms) => void): void {
    this.#cb = cb;
    if (this.#queue.length > 0 && this.#flushTimer === null && !this.#closed) {
      this.#flushTimer = this.#host.setTimer(0, () => {
        this.#flushTimer = null;
        while (this.#queue.length > 0 && this.#cb) this.#cb(this.#queue.shift()!);
      });
    }
  }

  /** PDUs dropped because the queue was full while no receiver was registered. */
  get droppedQueued(): number { return this.#droppedQueued; }
  /** WDP datagrams dropped because they were larger than WDP_MAX_DATAGRAM. */
  get droppedDatagrams(): number { return this.#droppedDatagrams; }

  /** The local WDP port (useful with wdpPort 0), or null without WDP. */
  wdpPort(): number | null {
    return this.#wdp ? this.#err.check(this.#b.wdpPort(this.#wdp.h), 'WDP port') : null;
  }

  /** Modem counters, or null when there is no (open) modem channel. */
  stats(): SmsStats | null {
    if (!this.#sms) return null;
    const c = this.#b.constants;
    const n = this.#err.check(this.#b.smsStats(this.#sms.h, this.#buf, 0, 4 * c.SMS_STAT_COUNT), 'sms stats');
    const v = new DataView(this.#buf.buffer, this.#buf.byteOffset, n);
    const g = (i: number): number => v.getUint32(4 * i, true);
    const state = g(c.SMS_STAT_STATE);
    return {
      pdus: g(c.SMS_STAT_PDUS), badPdus: g(c.SMS_STAT_BAD_PDU), overlongLines: g(c.SMS_STAT_OVERLONG),
      ignoredLines: g(c.SMS_STAT_IGNORED), errors: g(c.SMS_STAT_ERRORS), timeouts: g(c.SMS_STAT_TIMEOUTS),
      droppedIndications: g(c.SMS_STAT_DROPPED), acks: g(c.SMS_STAT_ACKS), retries: g(c.SMS_STAT_RETRIES),
      state: state === 0 ? 'init' : state === 1 ? 'run' : 'failed',
      storedMode: g(c.SMS_STAT_STORED_MODE) === 1, ackMode: g(c.SMS_STAT_ACK_MODE) === 1,
      droppedQueued: this.#droppedQueued, droppedDatagrams: this.#droppedDatagrams,
    };
  }

  /** One turn for a channel: up to pdusPerTurn PDUs, then re-arm the timer the AT machine needs. */
  #turn(ch: Channel): void {
    if (this.#closed || (ch.kind === 'sms' ? this.#sms : this.#wdp) !== ch) return;
    if (ch.timer !== null) {
      this.#host.clearTimer(ch.timer);
      ch.timer = null;
    }
    const b = this.#b;
    const dgram = b.constants.WDP_MAX_DATAGRAM;
    for (let i = 0; i < this.#limits.pdusPerTurn; i++) {
      const n = ch.kind === 'sms' ? b.smsPoll(ch.h, this.#buf, 0, this.#buf.length) : b.wdpRecv(ch.h, this.#buf, 0, dgram);
      if (n === 0) {
        this.#arm(ch);
        return;
      }
      if (n < 0) {
        if (ch.kind === 'wdp' && this.#err.name(n) === 'EMSGSIZE') {
          this.#droppedDatagrams++;
          continue;
        }
        this.#fail(ch, this.#err.error(n, ch.kind === 'sms' ? 'modem' : 'WDP socket'));
        return;
      }
      const bytes = this.#buf.slice(0, n);
      this.#deliver(ch.kind === 'sms' ? { kind: 'gsm', bytes, smsc: true } : { kind: 'wdp', bytes });
      if (this.#closed || (ch.kind === 'sms' ? this.#sms : this.#wdp) !== ch) return; // the receiver closed us
    }
    ch.timer = this.#host.setTimer(0, () => this.#turn(ch)); // more may be waiting: yield, then continue
  }

  #arm(ch: Channel): void {
    if (ch.kind !== 'sms') return;
    const wait = this.#b.smsWait(ch.h);
    if (wait >= 0) ch.timer = this.#host.setTimer(wait, () => this.#turn(ch));
  }

  #deliver(sms: InboundSms): void {
    if (this.#cb && this.#queue.length === 0) {
      this.#cb(sms);
    } else if (this.#queue.length < this.#limits.queueMax) {
      this.#queue.push(sms);
    } else {
      this.#droppedQueued++;
    }
  }

  #fail(ch: Channel, err: PlatformError): void {
    this.#closeChannel(ch);
    if (this.#onError) this.#onError(err, ch.kind);
    else this.#host.log?.('error', `SMS source: ${ch.kind} channel failed`, { code: err.code });
  }

  #closeChannel(ch: Channel): void {
    if (ch.timer !== null) this.#host.clearTimer(ch.timer);
    ch.timer = null;
    this.#host.unwatch(ch.h, ch.fd);
    this.#b.close(ch.h);
    if (this.#sms === ch) this.#sms = null;
    if (this.#wdp === ch) this.#wdp = null;
  }

  /** Closes the modem and the socket. Idempotent; no callbacks after it returns. */
  close(): void {
    this.#closed = true;
    if (this.#flushTimer !== null) this.#host.clearTimer(this.#flushTimer);
    this.#flushTimer = null;
    if (this.#sms) this.#closeChannel(this.#sms);
    if (this.#wdp) this.#closeChannel(this.#wdp);
    this.#queue.length = 0;
  }
}
