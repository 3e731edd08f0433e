/**
 * Test PKI and TLS servers made at test time with the openssl CLI (never checked in):
 * a CA, a server certificate for `localhost` signed by it, the same key in an expired certificate,
 * a second (wrong) CA, plus helpers to run `openssl s_server -WWW` and a plain-TCP HTTP server on
 * loopback. Used by test/native/tls.test.ts and the QEMU end-to-end tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files of one generated PKI (absolute paths). */
export interface Pki {
  dir: string;
  /** The CA clients should trust. */
  ca: string;
  /** A different CA that did not sign anything the servers use. */
  wrongCa: string;
  /** Server certificate (CN and DNS SAN `localhost`, valid now) and its key. */
  cert: string;
  key: string;
  /** Same key, signed by `ca`, valid only in January 2020. */
  expired: string;
  /** Removes the directory. */
  cleanup(): void;
}

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** Generates the PKI in a fresh temporary directory (EC P-256 keys: fast, also under QEMU). */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3', '-subj', '/CN=omadm test CA']);
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'wrong-ca.key', '-out', 'wrong-ca.pem', '-days', '3', '-subj', '/CN=omadm wrong CA']);
  openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost']);
  // `openssl ca` sets explicit validity dates (x509 -req cannot back-date in OpenSSL 3.0).
  writeFileSync(join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = d', '[d]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial',
    'default_md = sha256', 'policy = p', 'copy_extensions = copy', 'unique_subject = no', '[p]', 'commonName = supplied', '',
  ].join('\n'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  const sign = (out: string, dates: string[]): void =>
    openssl(dir, ['ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key',
      '-in', 'server.csr', '-out', out, ...dates]);
  sign('server.pem', ['-days', '3']);
  sign('expired.pem', ['-startdate', '20200101000000Z', '-enddate', '20200131000000Z']);
  const p = (f: string): string => join(dir, f);
  return {
    dir, ca: p('ca.pem'), wrongCa: p('wrong-ca.pem'), cert: p('server.pem'), key: p('server.key'), expired: p('expired.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A free TCP port on 127.0.0.1 (bound and released; the tiny race is acceptable on loopback in tests). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

async function waitListening(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited early with ${proc.exitCode}`);
    const ok = await new Promise<boolean>((res) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); res(true); });
      c.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A running `openssl s_server -WWW` (serves files of `root` by path) on loopback. */
export interface SServer {
  port: number;
  stop(): void;
}

/** Starts `openssl s_server -WWW` with `cert`/`key`, serving files from `root`. */
export async function startSServer(root: string, cert: string, key: string): Promise<SServer> {
  const port = await freePort();
  const proc = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, '-WWW', '-quiet'],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  await waitListening(port, proc);
  return { port, stop: () => { if (proc.exitCode === null) proc.kill('SIGTERM'); } };
}

/** Plain TCP: answers every connection with an HTTP/1.0 200 carrying `body`, then closes. */
export async function startPlainHttp(body: Uint8Array): Promise<{ port: number; server: Server; stop(): void }> {
  const server = createServer((sock) => {
    let got = '';
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        sock.write(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
        sock.end(body);
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  return { port, server, stop: () => server.close() };
}

/** Answers every connection with non-TLS bytes and closes (a TLS client must fail its handshake). */
export async function startGarbageServer(): Promise<{ port: number; stop(): void }> {
  const server = createServer((sock) => {
    sock.on('error', () => {});
    sock.end('HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { port: (server.address() as AddressInfo).port, stop: () => server.close() };
}
