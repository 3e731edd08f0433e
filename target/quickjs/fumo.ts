/**
 * FUMO for the QuickJS host (the "fumo" setting of the device configuration, target/quickjs/main.ts):
 * a module of its own that main.ts imports with a dynamic `import()` only when the configuration
 * asks for FUMO, so the FUMO engine's code is not in the heap of devices (or sessions) without it.
 */
import * as native from 'dm_native';
import type { AgentCore } from '../../src/agent/AgentCore';
import { checkBinding } from '../../src/native/binding';
import { NativeFlash, type FlashKind } from '../../src/native/Flash';
import { Fumo } from '../../src/fumo/index';

const FLASH_KINDS: readonly FlashKind[] = ['file', 'block', 'mtd', 'sim', 'sim-nand'];

/** Attaches FUMO per the "fumo" host setting; returns an error text (".field: problem") or null. */
export function attachFumo(agent: AgentCore, v: unknown, rel: (p: string) => string, exitReboot: number): string | null {
  if (typeof v !== 'object' || v === null) return ': must be an object';
  const o = v as Record<string, unknown>;
  if (typeof o.flash !== 'string' || o.flash === '') return '.flash: must be a path';
  const kind = o.kind ?? 'file';
  if (!FLASH_KINDS.includes(kind as FlashKind)) return `.kind: must be one of ${FLASH_KINDS.join(', ')}`;
  const num = (k: string): number | undefined | string => {
    const x = o[k];
    if (x === undefined) return undefined;
    return typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : `.${k}: must be a positive integer`;
  };
  const size = num('size');
  const eraseSize = num('eraseSize');
  const pageSize = num('pageSize');
  const slotSize = num('slotSize');
  for (const x of [size, eraseSize, pageSize, slotSize]) if (typeof x === 'string') return x;
  const flash = NativeFlash.open(checkBinding(native), rel(o.flash), {
    kind: kind as FlashKind,
    ...(size === undefined ? {} : { size: size as number }),
    ...(eraseSize === undefined ? {} : { eraseSize: eraseSize as number }),
    ...(pageSize === undefined ? {} : { pageSize: pageSize as number }),
  });
  const info = flash.info();
  const s = (slotSize as number | undefined) ?? Math.floor(info.size / 2 / info.eraseSize) * info.eraseSize;
  if (s <= 0 || 2 * s > info.size) return `.slotSize: two slots of ${s} bytes do not fit the ${info.size}-byte flash`;
  Fumo.attach(agent, {
    flash,
    slots: [{ offset: 0, size: s }, { offset: s, size: s }],
    reboot: () => {
      agent.platform.log('info', 'FUMO asks for a reboot', { exit: exitReboot });
      dmHost.exit(exitReboot);
    },
  });
  return null;
}
