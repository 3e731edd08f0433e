/**
 * The one interface the portable core needs from its host (Node: target/node, QuickJS: target/quickjs).
 *
 * Rules for every member:
 * - Synchronous members never block for long (bounded work: one block erase, one file write).
 * - Failures of the device or OS are thrown as `PlatformError` with an errno-style `code`
 *   ('EIO', 'ENOSPC', 'ENOENT', 'ECONNREFUSED', ...); never as strings, never matched on message text.
 * - Callbacks handed to the platform are never called re-entrantly from inside the call that
 *   registered them; they run later, from the host's event loop.
 */

/** Log severity, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Structured log sink. `fields` must already be redacted by the caller (no secrets). */
export type LogSink = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** Opaque timer handle returned by `setTimer`. */
export type TimerHandle = unknown;

export interface Clock {
  /** Monotonic milliseconds (any origin); never goes backwards; may be fractional. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch (for TStamp); may jump. */
  wallMs(): number;
}

/**
 * A random-access persistent file. Writes are not durable until `sync()` returns.
 * `read` returns the number of bytes read (short at end of file).
 */
export interface Blob {
  /** Current size in bytes. */
  size(): number;
  /** Reads up to `dst.length` bytes at `offset` into `dst`; returns the count (0 at/after EOF). */
  read(offset: number, dst: Uint8Array): number;
  /** Writes all of `src` at `offset` (extends the file if needed). Throws ENOSPC/EIO. */
  write(offset: number, src: Uint8Array): void;
  /** Truncates or extends (with zeros) to `length` bytes. */
  truncate(length: number): void;
  /** Makes every completed write durable (fdatasync). Returns only when it is. */
  sync(): void;
  /** Releases the handle. Idempotent; later calls on the blob throw a TypeError. */
  close(): void;
}

/** Named persistent files under the host's storage folder. Names are `[A-Za-z0-9._-]+`. */
export interface Storage {
  /** Opens (creating when `create`, else throwing ENOENT) the named blob. */
  open(name: string, create: boolean): Blob;
  /** True when the named blob exists. */
  exists(name: string): boolean;
  /** Removes the named blob if present (durable when it returns). */
  remove(name: string): void;
  /** Atomically renames `from` to `to` (replacing `to`), durable when it returns. */
  rename(from: string, to: string): void;
}

/** Where to connect. */
export interface StreamTarget {
  host: string;
  port: number;
  /** Wrap the TCP stream in TLS, verifying the server certificate against the configured CA. */
  tls: boolean;
  /** TLS server name (SNI and certificate name check); defaults to `host`. */
  servername?: string;
}

/** Events of one byte stream; called from the host loop, never re-entrantly. */
export interface StreamEvents {
  /** Connected (and TLS handshake done and the certificate verified). */
  onOpen(): void;
  /** Bytes received. The array may be reused by the host after the call returns: copy what you keep. */
  onData(chunk: Uint8Array): void;
  /** Peer closed (`err` null) or the stream failed (`err` set). Called exactly once; no events after. */
  onClose(err: PlatformError | null): void;
}

/** A bidirectional byte stream (TCP or TLS). */
export interface ByteStream {
  /** Queues bytes for sending; the stream copies them. */
  write(data: Uint8Array): void;
  /** Closes the stream; `onClose(null)` follows unless it already fired. Idempotent. */
  close(): void;
}

/** Opens byte streams. */
export interface Network {
  /** Starts connecting; failures arrive as `onClose(err)` (ECONNREFUSED, ETIMEDOUT, ECERT...). */
  connect(target: StreamTarget, events: StreamEvents): ByteStream;
}

/** A raw SMS as delivered by the modem or a WDP datagram. */
export interface InboundSms {
  /** 'gsm': 3GPP 23.040 SMS-DELIVER TPDU (with SMSC address prefix when `smsc` is true);
   *  'cdma': IS-637 transport-layer message; 'wdp': a WDP datagram payload (push over IP, port 2948). */
  kind: 'gsm' | 'cdma' | 'wdp';
  bytes: Uint8Array;
  /** For 'gsm': the PDU starts with the SMSC address field (as in AT+CMT PDU mode). */
  smsc?: boolean;
}

/** Source of inbound SMS (native modem on a tty, or a simulator). */
export interface SmsSource {
  /** Registers the receiver; PDUs arriving before this are queued by the host (bounded). */
  onSms(cb: (sms: InboundSms) => void): void;
  close(): void;
}

/** Answer of the user (or of the default when the display timed out). */
export interface UiAnswer {
  /** 'ok' answered, 'no' rejected (1101), 'cancel' cancelled (214), 'timeout' no answer (408). */
  outcome: 'ok' | 'no' | 'cancel' | 'timeout';
  /** Text input (1102) or selected item numbers, 1-based (1103/1104). */
  text?: string;
  choices?: number[];
}

/** Parsed UI parameters of a DM UI alert (absent ones are undefined). */
export interface UiParams {
  /** Seconds; 0 = no limit. */
  minDisplay?: number;
  maxDisplay?: number;
  /** Default response as sent by the server (DR parameter), already decoded. */
  defaultResponse?: string;
  maxLen?: number;
  inputType?: 'A' | 'N' | 'D' | 'T' | 'P' | 'I';
  echo?: 'T' | 'P';
}

/** A user-interaction request (DM UI alerts 1100-1104, or a notification with ui-mode 3). */
export interface UiRequest extends UiParams {
  kind: 'display' | 'confirm' | 'input' | 'single' | 'multi' | 'notification';
  text: string;
  /** Choice texts for single/multi, in order (item 1 first). */
  choices?: string[];
}

/** Host user interface. `ask` must call `done` exactly once, later (never synchronously). */
export interface UserInterface {
  ask(req: UiRequest, done: (answer: UiAnswer) => void): void;
}

export interface Platform {
  clock: Clock;
  /** Fills `out` with unpredictable bytes (nonces, session ids). */
  randomFill(out: Uint8Array): void;
  log: LogSink;
  /** Calls `cb` once after at least `ms` milliseconds, from the host loop. */
  setTimer(ms: number, cb: () => void): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimer(h: TimerHandle): void;
  storage: Storage;
  network: Network;
  /** Optional: present on devices with a UI. Absent → UI alerts are answered 406. */
  ui?: UserInterface;
}

/** Errno-style platform failure. `code` is the stable identifier (EIO, ENOSPC, ECONNRESET, ...). */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}
