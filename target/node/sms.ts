/**
 * The SMS source on Node: src/native/NativeSmsSource over the N-API addon, with readiness from the
 * addon's uv_poll (`watch`) and Node timers. No helper thread, no busy loop.
 *
 *   const src = openSmsSource({ tty: '/dev/ttyUSB2' });          // or the modem simulator's pty
 *   src.onSms((sms) => router.push(sms));                          // InboundSms, kind 'gsm', smsc: true
 *   ...; src.close();
 */
import type { LogSink } from '../../src/platform';
import type { NativeBinding } from '../../src/native/binding';
import { NativeSmsSource, type SmsHost, type SmsSourceOptions } from '../../src/native/NativeSmsSource';
import { loadNative, nativeErrors } from './native';

export { NativeSmsSource } from '../../src/native/NativeSmsSource';
export type { SmsSourceOptions, SmsStats } from '../../src/native/NativeSmsSource';

/** Node host for NativeSmsSource over binding `b` (which must be the N-API addon: it has `watch`). */
export function nodeSmsHost(b: NativeBinding, log?: LogSink): SmsHost {
  const watch = b.watch;
  const unwatch = b.unwatch;
  if (!watch || !unwatch) throw new TypeError('binding has no watch/unwatch (not the N-API addon)');
  const errs = nativeErrors(b);
  const host: SmsHost = {
    setTimer: (ms, cb) => setTimeout(cb, ms),
    clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
    watch: (h, _fd, cb) => { errs.check(watch.call(b, h, cb), 'watch'); },
    unwatch: (h) => { unwatch.call(b, h); },
  };
  if (log) host.log = log;
  return host;
}

/** Opens the modem (and/or the WDP socket) described by `opts`. Throws PlatformError (ENOENT, EACCES...). */
export function openSmsSource(opts: SmsSourceOptions & { binding?: NativeBinding; log?: LogSink }): NativeSmsSource {
  const b = opts.binding ?? loadNative();
  return new NativeSmsSource(b, nodeSmsHost(b, opts.log), opts);
}
