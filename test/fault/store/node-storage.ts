/**
 * Test helper (node-only): a `Storage` on a real directory with the durability the record store
 * relies on: positional writes with `fs.writeSync`, `fdatasync` on `sync()`, and an fsync of the
 * directory after creating, removing or renaming a file (so the entry itself is durable).
 * target/node will carry the product implementation; this one exists so the fault tests do not
 * depend on it.
 */
import { closeSync, constants, existsSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Blob, Storage } from '../../../src/platform';
import { PlatformError } from '../../../src/platform';

function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new PlatformError(code, `${what}: ${(e as Error).message}`);
    throw e;
  }
}

export class NodeStorage implements Storage {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  #path(name: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new TypeError(`name: must match [A-Za-z0-9._-]+, got "${name}"`);
    return join(this.dir, name);
  }
  #syncDir(): void {
    const fd = openSync(this.dir, constants.O_RDONLY);
    try { fsyncSync(fd); } finally { closeSync(fd); }
  }
  open(name: string, create: boolean): Blob {
    const p = this.#path(name);
    const existed = existsSync(p);
    const fd = wrap(`open ${name}`, () => openSync(p, create ? constants.O_RDWR | constants.O_CREAT : constants.O_RDWR, 0o600));
    if (!existed) this.#syncDir();
    return new NodeBlob(fd, name);
  }
  exists(name: string): boolean {
    return existsSync(this.#path(name));
  }
  remove(name: string): void {
    const p = this.#path(name);
    if (!existsSync(p)) return;
    wrap(`remove ${name}`, () => unlinkSync(p));
    this.#syncDir();
  }
  rename(from: string, to: string): void {
    wrap(`rename ${from}`, () => renameSync(this.#path(from), this.#path(to)));
    this.#syncDir();
  }
}

class NodeBlob implements Blob {
  #fd: number;
  constructor(fd: number, private readonly name: string) {
    this.#fd = fd;
  }
  #check(): number {
    if (this.#fd < 0) throw new TypeError(`blob ${this.name} is closed`);
    return this.#fd;
  }
  size(): number {
    const fd = this.#check();
    return wrap('fstat', () => fstatSync(fd).size);
  }
  read(offset: number, dst: Uint8Array): number {
    const fd = this.#check();
    let n = 0;
    while (n < dst.length) {
      const r = wrap('read', () => readSync(fd, dst, n, dst.length - n, offset + n));
      if (r === 0) break;
      n += r;
    }
    return n;
  }
  write(offset: number, src: Uint8Array): void {
    const fd = this.#check();
    let n = 0;
    while (n < src.length) n += wrap('write', () => writeSync(fd, src, n, src.length - n, offset + n));
  }
  truncate(length: number): void {
    const fd = this.#check();
    wrap('ftruncate', () => ftruncateSync(fd, length));
  }
  sync(): void {
    const fd = this.#check();
    wrap('fdatasync', () => fdatasyncSync(fd));
  }
  close(): void {
    if (this.#fd >= 0) { closeSync(this.#fd); this.#fd = -1; }
  }
}
