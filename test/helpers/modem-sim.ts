/**
 * Drives the modem simulator (build/native/host/modem-sim, native/tools/modem-sim.c) from node tests:
 * spawns it, waits for its pty, sends control commands on stdin and waits for its stdout events.
 * Node-only (child processes).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD } from './paths';

/** Path of the simulator binary (built by `make native`). */
export const MODEM_SIM = join(BUILD, 'native', 'host', 'modem-sim');

/** True when the simulator has been built. */
export function haveModemSim(): boolean {
  return existsSync(MODEM_SIM);
}

interface Waiter {
  re: RegExp;
  resolve: (m: RegExpMatchArray) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class ModemSim {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Slave pty path the client opens. */
  pty = '';
  /** Every stdout event line so far. */
  readonly events: string[] = [];
  /** Stderr text (for failure messages). */
  stderr = '';
  #partial = '';
  /** events consumed by waitFor (index of the next unconsumed line) */
  #cursor = 0;
  #waiters: Waiter[] = [];
  #exit: Promise<number | null>;

  private constructor(args: string[]) {
    this.proc = spawn(MODEM_SIM, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stderr.setEncoding('utf8');
    this.proc.stdout.on('data', (s: string) => this.#onData(s));
    this.proc.stderr.on('data', (s: string) => { this.stderr += s; });
    this.#exit = new Promise((res) => this.proc.on('exit', (code) => res(code)));
  }

  /** Starts the simulator with CLI `args` and waits for its PTY line. */
  static async start(args: string[] = [], timeoutMs = 5000): Promise<ModemSim> {
    const sim = new ModemSim(args);
    const m = await sim.waitFor(/^PTY (\S+)$/, timeoutMs);
    sim.pty = m[1]!;
    return sim;
  }

  #onData(s: string): void {
    this.#partial += s;
    let nl: number;
    while ((nl = this.#partial.indexOf('\n')) >= 0) {
      this.events.push(this.#partial.slice(0, nl));
      this.#partial = this.#partial.slice(nl + 1);
    }
    this.#match();
  }

  #match(): void {
    for (const w of [...this.#waiters]) {
      while (this.#cursor < this.events.length) {
        const m = this.events[this.#cursor++]!.match(w.re);
        if (m) {
          clearTimeout(w.timer);
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(m);
          break;
        }
      }
    }
  }

  /**
   * Waits for the next event line (after those already consumed) matching `re`; earlier
   * non-matching lines are consumed. Rejects after `timeoutMs` with the events seen.
   */
  waitFor(re: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(new Error(`modem-sim: no event matching ${re} within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`));
      }, timeoutMs);
      const w: Waiter = { re, resolve, reject, timer };
      this.#waiters.push(w);
      this.#match();
    });
  }

  /** The AT commands received so far, in order. */
  commands(): string[] {
    return this.events.filter((e) => e.startsWith('AT ')).map((e) => e.slice(3));
  }

  /** Sends one control command line (see modem-sim.c). */
  send(line: string): void {
    this.proc.stdin.write(line + '\n');
  }

  /** Asks for a STATUS line and parses it into numbers. */
  async status(): Promise<Record<string, number>> {
    this.send('status');
    const m = await this.waitFor(/^STATUS (.*)$/);
    const out: Record<string, number> = {};
    for (const kv of m[1]!.split(' ')) {
      const [k, v] = kv.split('=');
      out[k!] = Number(v);
    }
    return out;
  }

  /** Ends the simulator (quit, then SIGTERM after 2 s) and resolves with its exit code. */
  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.send('quit');
      const t = setTimeout(() => this.proc.kill('SIGTERM'), 2000);
      const code = await this.#exit;
      clearTimeout(t);
      return code;
    }
    return this.proc.exitCode;
  }
}
