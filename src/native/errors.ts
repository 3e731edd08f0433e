/**
 * Native results → typed errors. A native call returns `>= 0` or `-errno`; the errno names come from
 * the module's own `errno` table (values differ between platforms, names do not), so no number is
 * hard-coded here. Unknown values become `E<number>`.
 */
import { PlatformError } from '../platform';
import type { NativeErrnoTable } from './binding';

/** errno mapping for one native module's `errno` table (build one per binding and keep it). */
export class NativeErrors {
  /** positive errno value → name */
  readonly #names = new Map<number, string>();
  /** name → positive errno value */
  readonly #values: NativeErrnoTable;

  constructor(table: NativeErrnoTable) {
    this.#values = table;
    for (const [name, value] of Object.entries(table)) {
      // The first name wins when two share a value (EAGAIN/EWOULDBLOCK, ENOTSUP/EOPNOTSUPP).
      if (!this.#names.has(value)) this.#names.set(value, name);
    }
  }

  /** The name of a negative result (`-5` → 'EIO'); 'E<n>' when the table does not know it. */
  name(rc: number): string {
    return this.#names.get(-rc) ?? `E${-rc}`;
  }

  /** The negative result for a name (`'EIO'` → -5); throws RangeError for a name the table lacks. */
  code(name: string): number {
    const v = this.#values[name];
    if (v === undefined) throw new RangeError(`errno name not exported by the native module: ${name}`);
    return -v;
  }

  /** The error for a negative result: PlatformError with the errno name as `code`. */
  error(rc: number, what: string): PlatformError {
    return new PlatformError(this.name(rc), what);
  }

  /** Returns `rc` when >= 0, otherwise throws the PlatformError for it. */
  check(rc: number, what: string): number {
    if (rc < 0) throw this.error(rc, what);
    return rc;
  }
}
