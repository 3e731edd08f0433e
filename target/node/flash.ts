/**
 * Flash on Node: src/native/Flash.ts (NativeFlash, typed errors) over the N-API addon.
 *
 *   const f = openFlash('/tmp/slot-b.img', { kind: 'sim', eraseSize: 4096, pageSize: 256, size: 1 << 20 });
 *   f.erase(0); f.write(0, page); f.sync(); f.close();
 *
 * Power-cut tests run the writer in a child process with DM_FLASH_SIM_FAULT="nth[,tear[,flags]]" in its
 * environment (or call f.simFault({ nth, tearBytes })); the child exits with status
 * `loadNative().constants.SIM_EXIT_CODE` (86) at the cut, and the parent reopens the image.
 */
import type { NativeBinding } from '../../src/native/binding';
import { NativeFlash, type FlashOpenOptions } from '../../src/native/Flash';
import { loadNative } from './native';

export { NativeFlash } from '../../src/native/Flash';
export type { FlashInfo, FlashKind, FlashOpenOptions, SimFault } from '../../src/native/Flash';

/** Opens `path` as a flash device (throws PlatformError: ENOENT, EINVAL for a geometry mismatch, ENODEV...). */
export function openFlash(path: string, opts: FlashOpenOptions, binding: NativeBinding = loadNative()): NativeFlash {
  return NativeFlash.open(binding, path, opts);
}
