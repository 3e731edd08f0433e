/**
 * First module of the QuickJS trial bundle: installs the globals tinybench needs (bench/lib/shims.ts)
 * with the host's monotonic clock, before tinybench's module is evaluated (ES modules evaluate
 * their imports depth-first in source order, so bench/hosts/qjs.ts imports this one first).
 */
/// <reference path="../../target/quickjs/types.d.ts" />
import * as native from 'dm_native';
import { installShims } from '../lib/shims';

installShims(() => native.clockMonotonicMs());
