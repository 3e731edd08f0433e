/**
 * Malformed input (WBXML, XML, SMS/WSP/pkg#0, HTTP framing). One shape for every decoder:
 * the absolute byte offset in the stream, the byte there (or -1 at end of input), the decoder
 * state name, and a stable `code`. The decoder instance stays usable after `reset()`.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  /** Stable machine-readable reason, e.g. 'truncated', 'bad-token', 'depth', 'token-too-long'. */
  readonly code: string;
  /** Absolute offset of the offending byte from the start of the input. */
  readonly offset: number;
  /** The offending byte, or -1 when the input ended. */
  readonly byte: number;
  /** Decoder state (or field) name where the error was found. */
  readonly state: string;
  constructor(code: string, message: string, offset: number, byte: number, state: string) {
    super(`${message} (at offset ${offset}, byte ${byte < 0 ? 'EOF' : '0x' + byte.toString(16).padStart(2, '0')}, state ${state})`);
    this.code = code;
    this.offset = offset;
    this.byte = byte;
    this.state = state;
  }
}

/** A configured bound was exceeded where no DM status can carry it (e.g. while sizing a buffer). */
export class LimitError extends RangeError {
  override readonly name = 'LimitError';
  /** Name of the limit (a `Limits` field name). */
  readonly limit: string;
  constructor(limit: string, message: string) {
    super(`${limit}: ${message}`);
    this.limit = limit;
  }
}

/** Invalid configuration (device config, bootstrap profile): `field` is a JSON path like `accounts[0].client.type`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}
