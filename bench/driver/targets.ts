/**
 * Where a trial runs: runtime × arch → the command line of a trial process, and how its
 * instructions are counted (QEMU TCG plugin under qemu-user, valgrind callgrind on the host).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TrialResult } from '../lib/types';
import { RESULT_PREFIX } from '../lib/measure';

/** Repository root (the driver runs from build/bench). */
export const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
export const BUILD = join(ROOT, 'build');

export type Arch = 'x86_64' | 'aarch64' | 'armhf';
export type Runtime = 'node' | 'qjs';

/** QEMU user-mode binary per arch. */
export const QEMU: Record<Exclude<Arch, 'x86_64'>, string> = { aarch64: 'qemu-aarch64', armhf: 'qemu-arm' };

/** A runtime on an arch. */
export interface Target {
  runtime: Runtime;
  arch: Arch;
  /** `qjs-aarch64`, `node-x86_64`: results and baselines are named after it. */
  name: string;
  /** The engine binary (its sha256 goes next to instruction counts). */
  engine: string;
  /** The trial program (bundle). */
  bundle: string;
  /** The trial program and its arguments, without the emulator. */
  prog(args: string[]): string[];
  /** The emulator prefix (`qemu-aarch64 [-L sysroot]`), empty on the host. */
  wrap: string[];
  env: NodeJS.ProcessEnv;
  /** How instructions are counted, or null (Node on the host). */
  counter: 'qemu-plugin' | 'qemu-plugin-atomic' | 'callgrind' | null;
}

export function isArch(a: string): a is Arch {
  return a === 'x86_64' || a === 'aarch64' || a === 'armhf';
}

export function target(runtime: Runtime, arch: Arch): Target {
  const name = `${runtime}-${arch}`;
  if (runtime === 'qjs') {
    const engine = join(BUILD, 'bench', arch === 'x86_64' ? 'host' : arch, 'omadm-bench');
    const bundle = join(BUILD, 'bench', 'bench-qjs.mjs');
    return {
      runtime, arch, name, engine, bundle, env: process.env,
      prog: (args) => [engine, '--run', bundle, ...args],
      wrap: arch === 'x86_64' ? [] : [QEMU[arch]],
      counter: arch === 'x86_64' ? 'callgrind' : 'qemu-plugin',
    };
  }
  const bundle = join(BUILD, 'bench', 'bench-node.mjs');
  if (arch === 'x86_64') {
    return { runtime, arch, name, engine: process.execPath, bundle, env: process.env, prog: (args) => [process.execPath, bundle, ...args], wrap: [], counter: null };
  }
  const sysroot = join(BUILD, 'sysroot', arch);
  const node = join(sysroot, 'usr', 'bin', 'node');
  return {
    runtime, arch, name, engine: node, bundle,
    env: { ...process.env, DM_NATIVE_ADDON: join(BUILD, 'native', arch, 'dm_native.node') },
    prog: (args) => [node, bundle, ...args],
    wrap: [QEMU[arch], '-L', sysroot],
    counter: 'qemu-plugin-atomic',
  };
}

/** Output of one child process. */
export interface ProcOut {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs argv (under `timeout`), collecting output. */
export function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutS?: number; cwd?: string } = {}): Promise<ProcOut> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn('timeout', [String(opts.timeoutS ?? 900), ...argv], { env: opts.env ?? process.env, cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (d: string) => { stdout += d; });
    p.stderr.on('data', (d: string) => { stderr += d; });
    p.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
}

/** The `BENCH {json}` line of a trial process, or a failed result describing what went wrong. */
export function parseTrial(out: ProcOut, caseId: string, t: Target): TrialResult {
  const line = out.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (line) return JSON.parse(line.slice(RESULT_PREFIX.length)) as TrialResult;
  const tail = (out.stderr || out.stdout).trim().split('\n').slice(-6).join(' | ');
  return { case: caseId, runtime: t.runtime, version: '', mode: 'count', ok: false, error: `exit ${out.code}: ${tail}`, units: {} };
}

/** A fresh, empty scratch directory for one trial. */
export function scratch(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** One trial process: its result, and the instructions it executed when `count` is set. */
export async function trialProcess(t: Target, args: string[], scratchDir: string, count: boolean): Promise<{ res: TrialResult; insns: number | null; out: ProcOut }> {
  const caseId = args[0]!;
  const full = [...args, '--scratch', scratch(scratchDir)];
  let argv = [...t.wrap, ...t.prog(full)];
  if (count && (t.counter === 'qemu-plugin' || t.counter === 'qemu-plugin-atomic')) {
    // scripts/qemu-insns.sh picks the emulator and its -L sysroot itself
    argv = [join(ROOT, 'scripts', 'qemu-insns.sh'), ...(t.counter === 'qemu-plugin-atomic' ? ['--atomic'] : []), '--timeout', '1800', t.arch, ...t.prog(full)];
  } else if (count && t.counter === 'callgrind') {
    argv = ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', ...t.prog(full)];
  }
  const out = await run(argv, { env: t.env, timeoutS: 1800 });
  const res = parseTrial(out, caseId, t);
  let insns: number | null = null;
  if (count) {
    const m = t.counter === 'callgrind' ? /Collected : (\d+)/.exec(out.stderr) : /^guest_insns (\d+)$/m.exec(out.stdout);
    insns = m ? Number(m[1]) : null;
    if (insns === null && res.ok) Object.assign(res, { ok: false, error: `no instruction count in the output (${t.counter})` });
  }
  return { res, insns, out };
}

/** sha256 (hex) of a file, or '' when it does not exist. */
export function sha256(path: string): string {
  if (!existsSync(path)) return '';
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
