/**
 * `node:test` for QuickJS: the subset the portable tests use, in one dependency-free file. The
 * QuickJS test bundle (test/quickjs/bundle.ts) aliases `node:test` to this module.
 *
 * Supported: test / it / describe (+ .skip, .todo, .only), options { skip, todo, only, timeout,
 * concurrency } (only/timeout/concurrency are accepted and ignored: tests run one after another, and
 * qemu runs are bounded by `timeout` from outside), sync, async and callback (`done`) tests, subtests
 * via `t.test`, hooks before / after / beforeEach / afterEach (module level, inside describe, and on
 * the test context), t.skip / t.todo / t.diagnostic / t.name / t.plan, and mock.fn / mock.method /
 * mock.restoreAll. Semantics follow node 20: a failing `before` fails every test of its suite, todo
 * tests run but their failures do not count, `after` hooks run even when tests failed.
 *
 * Output (TAP-like, one line per test): `ok N - file > suite > test`, `not ok N - ...` followed by
 * `#` lines with the error, and at the end one line `# qjs-summary {json}` that the node-side driver
 * parses (counts and the failure list).
 */

/** Output hooks supplied by the bundle's entry (std.out on QuickJS). */
export interface RunnerIo {
  print(line: string): void;
}

type Fn = (t: TestContext, done?: (err?: unknown) => void) => unknown;
type HookFn = (t?: unknown) => unknown;

/** Options of test() / describe(). */
export interface TestOptions {
  skip?: boolean | string;
  todo?: boolean | string;
  only?: boolean;
  timeout?: number;
  concurrency?: number | boolean;
}

interface Hooks {
  before: HookFn[];
  after: HookFn[];
  beforeEach: HookFn[];
  afterEach: HookFn[];
}

/** A registered test (leaf) or suite (describe). */
interface Node {
  kind: 'test' | 'suite';
  name: string;
  file: string;
  parent: Suite | null;
  skip: string | null;
  todo: string | null;
}
interface TestNode extends Node {
  kind: 'test';
  fn: Fn | undefined;
}
interface Suite extends Node {
  kind: 'suite';
  children: (TestNode | Suite)[];
  hooks: Hooks;
  /** Result of an async describe body, awaited before the children run. */
  pending: Promise<unknown> | null;
}

const newHooks = (): Hooks => ({ before: [], after: [], beforeEach: [], afterEach: [] });
const root: Suite = { kind: 'suite', name: '', file: '', parent: null, skip: null, todo: null, children: [], hooks: newHooks(), pending: null };
let current: Suite = root;
let currentFile = '';

/** Marks the file whose tests register next (called by the bundle entry before each test module). */
export function setFile(name: string): void {
  currentFile = name;
  // every file gets its own top-level suite so module-level hooks stay per file (as node runs files apart)
  const s: Suite = { kind: 'suite', name: '', file: name, parent: root, skip: null, todo: null, children: [], hooks: newHooks(), pending: null };
  root.children.push(s);
  current = s;
}

function parseArgs(a: unknown, b: unknown, c: unknown): { name: string; opts: TestOptions; fn: Fn | undefined } {
  let name = '<anonymous>';
  let opts: TestOptions = {};
  let fn: Fn | undefined;
  for (const x of [a, b, c]) {
    if (typeof x === 'string') name = x;
    else if (typeof x === 'function') fn = x as Fn;
    else if (x !== null && typeof x === 'object') opts = x as TestOptions;
  }
  if (typeof a === 'function' && typeof (a as { name?: unknown }).name === 'string' && (a as { name: string }).name) {
    name = (a as { name: string }).name;
  }
  return { name, opts, fn };
}

const reason = (v: boolean | string | undefined): string | null =>
  v === undefined || v === false ? null : typeof v === 'string' ? v : '';

function register(kind: 'test' | 'suite', a: unknown, b: unknown, c: unknown, extra: TestOptions = {}): void {
  const { name, opts, fn } = parseArgs(a, b, c);
  const skip = reason(extra.skip ?? opts.skip);
  const todo = reason(extra.todo ?? opts.todo);
  if (kind === 'test') {
    current.children.push({ kind, name, file: currentFile, parent: current, skip, todo, fn });
    return;
  }
  const s: Suite = { kind, name, file: currentFile, parent: current, skip, todo, children: [], hooks: newHooks(), pending: null };
  current.children.push(s);
  const saved = current;
  current = s;
  try {
    const r = fn ? (fn as unknown as () => unknown)() : undefined;
    if (r && typeof (r as Promise<unknown>).then === 'function') s.pending = r as Promise<unknown>;
  } finally {
    current = saved;
  }
}

type TestApi = ((a?: unknown, b?: unknown, c?: unknown) => void) & {
  skip: (a?: unknown, b?: unknown, c?: unknown) => void;
  todo: (a?: unknown, b?: unknown, c?: unknown) => void;
  only: (a?: unknown, b?: unknown, c?: unknown) => void;
};

function api(kind: 'test' | 'suite'): TestApi {
  const f = ((a?: unknown, b?: unknown, c?: unknown) => register(kind, a, b, c)) as TestApi;
  f.skip = (a, b, c) => register(kind, a, b, c, { skip: true });
  f.todo = (a, b, c) => register(kind, a, b, c, { todo: true });
  f.only = (a, b, c) => register(kind, a, b, c);
  return f;
}

/** node:test `test` (also the default export). */
export const test: TestApi = api('test');
export const it: TestApi = test;
export const describe: TestApi = api('suite');
export const suite: TestApi = describe;
export const before = (fn: HookFn): void => { current.hooks.before.push(fn); };
export const after = (fn: HookFn): void => { current.hooks.after.push(fn); };
export const beforeEach = (fn: HookFn): void => { current.hooks.beforeEach.push(fn); };
export const afterEach = (fn: HookFn): void => { current.hooks.afterEach.push(fn); };
export default test;

// ------------------------------------------------------------------------------------------ mock

interface MockCall { arguments: unknown[]; result?: unknown; error?: unknown; this: unknown }
const restorers: (() => void)[] = [];

/** node:test `mock` (fn, method, restoreAll/reset). */
export const mock = {
  fn<F extends (...args: never[]) => unknown>(impl?: F): F & { mock: { calls: MockCall[]; callCount(): number; mockImplementation(f: F): void; resetCalls(): void } } {
    let cur: ((...args: unknown[]) => unknown) | undefined = impl as never;
    const calls: MockCall[] = [];
    const f = function (this: unknown, ...args: unknown[]): unknown {
      const call: MockCall = { arguments: args, this: this };
      calls.push(call);
      try {
        call.result = cur ? cur.apply(this, args) : undefined;
        return call.result;
      } catch (e) {
        call.error = e;
        throw e;
      }
    };
    (f as unknown as { mock: unknown }).mock = {
      calls,
      callCount: () => calls.length,
      mockImplementation: (g: F) => { cur = g as never; },
      resetCalls: () => { calls.length = 0; },
    };
    return f as never;
  },
  method(obj: Record<string, unknown>, name: string, impl?: (...args: never[]) => unknown): unknown {
    const orig = obj[name];
    const m = mock.fn((impl ?? orig) as (...args: never[]) => unknown);
    obj[name] = m;
    restorers.push(() => { obj[name] = orig; });
    return m;
  },
  restoreAll(): void {
    while (restorers.length) restorers.pop()!();
  },
  reset(): void {
    mock.restoreAll();
  },
};

// ------------------------------------------------------------------------------------------ running

/** Per-test context handed to test functions (node's TestContext subset). */
export class TestContext {
  readonly name: string;
  /** Skip/todo requested from inside the test. */
  skipReason: string | null = null;
  todoReason: string | null = null;
  /** Subtests started with t.test, awaited before the test completes. */
  readonly subtests: Promise<void>[] = [];
  readonly hooks: Hooks = newHooks();
  constructor(name: string, private readonly runner: Runner, private readonly path: string[], private readonly file: string) {
    this.name = name;
  }
  skip(msg?: string): void { this.skipReason = msg ?? ''; }
  todo(msg?: string): void { this.todoReason = msg ?? ''; }
  diagnostic(msg: string): void { this.runner.io.print(`# ${msg}`); }
  plan(_n: number): void { /* accepted; counts are not enforced */ }
  before(fn: HookFn): void { this.hooks.before.push(fn); }
  after(fn: HookFn): void { this.hooks.after.push(fn); }
  beforeEach(fn: HookFn): void { this.hooks.beforeEach.push(fn); }
  afterEach(fn: HookFn): void { this.hooks.afterEach.push(fn); }
  test(a?: unknown, b?: unknown, c?: unknown): Promise<void> {
    const { name, opts, fn } = parseArgs(a, b, c);
    const node: TestNode = { kind: 'test', name, file: this.file, parent: null, skip: reason(opts.skip), todo: reason(opts.todo), fn };
    const p = this.runner.runTest(node, [...this.path, name], [this.hooks], []);
    this.subtests.push(p);
    return p;
  }
}

/** One failure in the summary. */
export interface Failure { name: string; error: string }

/** Counts of a run. */
export interface Summary {
  tests: number; pass: number; fail: number; skip: number; todo: number; files: number; failures: Failure[];
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const extra: string[] = [];
    const ae = e as Error & { actual?: unknown; expected?: unknown; operator?: unknown; code?: unknown };
    if (ae.code === 'ERR_ASSERTION') extra.push(`operator: ${String(ae.operator)}`);
    return `${e.name}: ${e.message}${extra.length ? '\n' + extra.join('\n') : ''}\n${e.stack ?? ''}`.trim();
  }
  return `thrown non-Error: ${String(e)}`;
}

async function callHook(fn: HookFn, arg?: unknown): Promise<void> {
  await fn(arg);
}

/** Calls `fn` in node's styles: sync, promise, or callback when it declares two parameters. */
function invoke(fn: Fn, t: TestContext): Promise<unknown> {
  if (fn.length >= 2) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        if (err) reject(err); else resolve(undefined);
      };
      try {
        const r = fn(t, done);
        if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(() => {}, done);
      } catch (e) {
        done(e);
      }
    });
  }
  try {
    return Promise.resolve(fn(t));
  } catch (e) {
    return Promise.reject(e);
  }
}

class Runner {
  n = 0;
  readonly s: Summary = { tests: 0, pass: 0, fail: 0, skip: 0, todo: 0, files: 0, failures: [] };
  constructor(readonly io: RunnerIo) {}

  /** Date.now() when the current test started (durations are diagnostics only). */
  started = Date.now();

  report(ok: boolean, path: string[], file: string, directive: string, err?: unknown): void {
    const name = [file, ...path].filter((x) => x !== '').join(' > ');
    this.n++;
    this.s.tests++;
    this.io.print(`${ok ? 'ok' : 'not ok'} ${this.n} - ${name}${directive}`);
    this.io.print(`#   duration_ms ${Date.now() - this.started}`);
    this.started = Date.now();
    if (!ok && err !== undefined) {
      const text = errorText(err);
      for (const line of text.split('\n')) this.io.print(`#   ${line}`);
      this.s.failures.push({ name, error: text.split('\n')[0] ?? '' });
    }
  }

  /** Runs one test with the hook chains of its ancestors (outermost first). */
  async runTest(node: TestNode, path: string[], each: Hooks[], suiteErr: unknown[]): Promise<void> {
    const skip = node.skip;
    const todo = node.todo;
    if (skip !== null) {
      this.s.skip++;
      this.report(true, path, node.file, ` # SKIP${skip ? ' ' + skip : ''}`);
      return;
    }
    let err: unknown = suiteErr.length > 0 ? suiteErr[0] : undefined;
    this.started = Date.now();
    const t = new TestContext(node.name, this, path, node.file);
    if (err === undefined) {
      try {
        for (const h of each) for (const fn of h.beforeEach) await callHook(fn, t);
        if (node.fn) await invoke(node.fn, t);
        await Promise.all(t.subtests);
      } catch (e) {
        err = e;
      }
      try {
        for (let i = each.length - 1; i >= 0; i--) for (const fn of each[i]!.afterEach) await callHook(fn, t);
        for (const fn of t.hooks.after) await callHook(fn, t);
      } catch (e) {
        if (err === undefined) err = e;
      }
    }
    if (t.skipReason !== null && err === undefined) {
      this.s.skip++;
      this.report(true, path, node.file, ` # SKIP${t.skipReason ? ' ' + t.skipReason : ''}`);
      return;
    }
    const todoReason = todo ?? t.todoReason;
    if (todoReason !== null) {
      this.s.todo++;
      this.report(err === undefined, path, node.file, ` # TODO${todoReason ? ' ' + todoReason : ''}`, err);
      if (err !== undefined) this.s.failures.pop(); // todo failures do not count
      return;
    }
    if (err === undefined) this.s.pass++;
    else this.s.fail++;
    this.report(err === undefined, path, node.file, '', err);
  }

  async runSuite(s: Suite, path: string[], each: Hooks[], inheritedErr: unknown[], skip: string | null, todo: string | null): Promise<void> {
    if (s.skip !== null && s.name !== '') {
      // like node: a skipped suite is one skipped entry, its children are not listed
      this.s.skip++;
      this.report(true, path, s.file, ` # SKIP${s.skip ? ' ' + s.skip : ''}`);
      return;
    }
    const sk = skip;
    const td = s.todo ?? todo;
    const errs = [...inheritedErr];
    if (s.pending) {
      try { await s.pending; } catch (e) { errs.push(e); }
    }
    const chain = [...each, s.hooks];
    if (sk === null && errs.length === 0) {
      try {
        for (const fn of s.hooks.before) await callHook(fn);
      } catch (e) {
        errs.push(e);
      }
    }
    for (const c of s.children) {
      const p = c.name === '' ? path : [...path, c.name];
      if (c.kind === 'suite') await this.runSuite(c, p, chain, errs, sk, td);
      else await this.runTest({ ...c, skip: c.skip ?? sk, todo: c.todo ?? td }, p, chain, errs);
    }
    if (sk === null) {
      try {
        for (const fn of s.hooks.after) await callHook(fn);
      } catch (e) {
        // an `after` failure is reported as its own failing entry, as node does
        this.s.fail++;
        this.report(false, [...path, 'after hook'], s.file, '', e);
      }
    }
    mock.restoreAll();
  }
}

/** Runs everything registered; prints the TAP lines and the summary line; resolves to the summary. */
export async function run(io: RunnerIo): Promise<Summary> {
  const r = new Runner(io);
  r.s.files = root.children.length;
  for (const file of root.children) {
    if (file.kind === 'suite') await r.runSuite(file, [], [], [], null, null);
  }
  io.print(`1..${r.n}`);
  io.print(`# qjs-summary ${JSON.stringify(r.s)}`);
  return r.s;
}
