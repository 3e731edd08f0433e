/** Hand-built Message/Command objects for DPU tests (what the decoder would hand over). */
import type { Command, CommandName, DataValue, Item, Meta } from '../../../src/codec/model';
import type { Dpu, DpuContext, DpuRecord, DpuSummary } from '../../../src/dpu/Dpu';
import type { UiAnswer, UiRequest } from '../../../src/platform';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';

export function data(v: string | Uint8Array): DataValue {
  const bytes = typeof v === 'string' ? utf8Encode(v) : v;
  return { kind: typeof v === 'string' ? 'text' : 'opaque', bytes, text: () => utf8Decode(bytes) };
}

export function item(target: string | undefined, value?: string | Uint8Array, meta?: Meta, moreData = false): Item {
  const it: Item = { moreData };
  if (target !== undefined) it.target = target;
  if (value !== undefined) it.data = data(value);
  if (meta) it.meta = meta;
  return it;
}

let auto = 0;
/** A command; CmdID auto-numbered unless given ('' / null for a missing one). */
export function cmd(name: CommandName | 'Unknown', items: Item[] = [], extra: Partial<Command> = {}): Command {
  return { name, element: name, cmdId: String(++auto), noResp: false, items, ...extra };
}
export function alert(code: number, texts: string[] = [], extra: Partial<Command> = {}): Command {
  return cmd('Alert', texts.map((t) => item(undefined, t)), { data: data(String(code)), ...extra });
}
export function container(name: 'Atomic' | 'Sequence', children: Command[], extra: Partial<Command> = {}): Command {
  return cmd(name, [], { children, ...extra });
}

export interface RunResult {
  recs: DpuRecord[];
  summary: DpuSummary;
  requests: UiRequest[];
}

/** Drives `dpu.run` to the end, answering UI requests from `answers` (in order). */
export function run(dpu: Dpu, cmds: Command[], ctx: Partial<DpuContext> = {}, answers: UiAnswer[] = []): RunResult {
  const recs: DpuRecord[] = [];
  const requests: UiRequest[] = [];
  const g = dpu.run(cmds, { serverId: 'srv1', msgId: '7', version: '1.2', ...ctx }, (r) => recs.push(r));
  let step = g.next();
  while (!step.done) {
    requests.push(step.value);
    const a = answers.shift();
    if (!a) throw new Error(`unexpected UI request ${JSON.stringify(step.value)}`);
    step = g.next(a);
  }
  return { recs, summary: step.value, requests };
}

/** Compact view of the records: `Status Add#3 200 [./t]`, `Results #3 …`, `Alert 1225`. */
export function brief(recs: DpuRecord[]): string[] {
  return recs.map((r) => {
    if (r.kind === 'Status') return `Status ${r.cmd}#${r.cmdRef} ${r.code}${r.targetRefs ? ' ' + r.targetRefs.join(',') : ''}`;
    if (r.kind === 'Results') return `Results #${r.cmdRef} ${r.items.map((i) => i.source).join(',')}`;
    return `Alert ${r.code}`;
  });
}
