/**
 * FUMO result codes ([FUMO] 10.2.2.4, facts §8.4) and the final notification: a Generic Alert 1226
 * ([DMPRO] 2.3.7, facts §3.4 and §8.5) carrying the result of an Exec'd operation.
 */
import type { PendingAlert } from '../session/Session';
import { AlertCode } from '../status';
import { FumoOp } from './Machine';

/** Result codes sent as the Data of the 1226 alert (Format `int`). Frozen (persisted in fumo.rec). */
export enum FumoResult {
  Successful = 200,
  /** Management client error (device behaviour, e.g. a restart loop). */
  ClientError = 400,
  UserCancelled = 401,
  /** Corrupted package: size or SHA-256 mismatch. */
  CorruptedPackage = 402,
  /** The image is for another device / product. */
  PackageMismatch = 403,
  /** The image failed validation (header, payload hash, signature). */
  FailedValidation = 404,
  PackageNotAcceptable = 405,
  /** Alternate download: HTTP 401/403/407 or the TLS server certificate was refused. */
  AuthenticationFailure = 406,
  /** Alternate download: no answer in time. */
  RequestTimeout = 407,
  NotImplemented = 408,
  UndefinedError = 409,
  /** The update was applied but the new firmware failed to boot and was rolled back. */
  UpdateFailed = 410,
  /** Missing, malformed or unreachable PkgURL (HTTP 404/410). */
  BadUrl = 411,
  /** Alternate download server unavailable (connection refused, HTTP 503). */
  ServerUnavailable = 412,
  /** Alternate download server error (other HTTP 5xx, protocol errors). */
  ServerError = 500,
  /** The package does not fit the inactive slot. */
  DownloadOutOfMemory = 501,
  UpdateOutOfMemory = 502,
  /** The download kept failing on the network (drops, resets) past the retry budget. */
  NetworkIssues = 503,
}

/** True for the successful range (200, 250–299). */
export function isSuccessResult(r: number): boolean {
  return r === 200 || (r >= 250 && r <= 299);
}

/** The 1226 Meta Type per Exec'd node ([FUMO] 10.2, sent bare, no padding: facts §3.4). */
export const FUMO_ALERT_TYPES: Readonly<Record<FumoOp, string>> = Object.freeze({
  [FumoOp.None]: 'org.openmobilealliance.dm.firmwareupdate.update',
  [FumoOp.Download]: 'org.openmobilealliance.dm.firmwareupdate.download',
  [FumoOp.Update]: 'org.openmobilealliance.dm.firmwareupdate.update',
  [FumoOp.DownloadAndUpdate]: 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate',
});

/** Name of the Exec'd node under `<x>` per operation. */
export const OP_NODE: Readonly<Record<FumoOp, string>> = Object.freeze({
  [FumoOp.None]: '',
  [FumoOp.Download]: 'Download',
  [FumoOp.Update]: 'Update',
  [FumoOp.DownloadAndUpdate]: 'DownloadAndUpdate',
});

/** What the alert names in Item/Source: the Exec'd node (`<x>/DownloadAndUpdate`, Windows Mobile
 *  and the issue's reading) or the FUMO object `<x>` (the spec text); facts §8.5 ⚠. */
export type AlertSource = 'node' | 'object';

/** Inputs of the final notification. */
export interface ResultAlertInput {
  /** Stable id in the alert queue (one per operation: re-queuing replaces, never duplicates). */
  id: string;
  /** Path of the FUMO object `<x>`, e.g. `./FUMO/fw`. */
  objectPath: string;
  op: FumoOp;
  result: number;
  /** The Exec's Correlator; absent when the Exec had none (then the alert has none, facts §8.2). */
  correlator?: string;
  source?: AlertSource;
}

/**
 * Builds the Generic Alert: `Alert(1226, Correlator?, Item(Source, Meta(Type, Format int, Mark),
 * Data = result))`. Mark is `critical` for failures ("SHOULD be other than informational").
 */
export function resultAlert(i: ResultAlertInput): PendingAlert {
  const source = (i.source ?? 'node') === 'node' && i.op !== FumoOp.None ? `${i.objectPath}/${OP_NODE[i.op]}` : i.objectPath;
  const meta: { type: string; format: string; mark?: string } = { type: FUMO_ALERT_TYPES[i.op], format: 'int' };
  if (!isSuccessResult(i.result)) meta.mark = 'critical';
  const a: PendingAlert = { id: i.id, code: AlertCode.GenericAlert, items: [{ source, meta, data: String(i.result) }] };
  if (i.correlator !== undefined) a.correlator = i.correlator;
  return a;
}
