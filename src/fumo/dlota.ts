/**
 * OMA Download OTA 1.0 status reports (the `installNotifyURI` of a download descriptor, as adopted
 * from MIDP 2.0 OTA): when the descriptor names an `installNotifyURI`, the device POSTs one status
 * report to it after the download and its checks end, successfully or not. The body is the status
 * code, a space and the status text (`900 Success`, `text/plain; charset=utf-8`); the server answers
 * 2xx (the body is ignored). Only after a delivered 900 does the server count the download complete.
 *
 * This is in addition to the FUMO Generic Alert 1226 (the DM-side report, unchanged). The pending
 * report is persisted in `fumo.rec` (record.ts `nr`/`nc`) and resent after restarts until a 2xx
 * arrives; the engine (FumoCsp) sends it through `Downloader.post` (same HTTP(S) path as the
 * download, the downloader's retry settings).
 *
 * THE TABLE (`DLOTA_TABLE`) is the one place where a download outcome becomes a DLOTA code;
 * docs/fumo.md mirrors it.
 */
import { FumoResult } from './alert';

/** DLOTA 1.0 / MIDP OTA status codes (the number sent first in the report body). */
export enum DlotaStatus {
  Success = 900,
  InsufficientMemory = 901,
  UserCancelled = 902,
  LossOfService = 903,
  AttributeMismatch = 905,
  InvalidDescriptor = 906,
  InvalidDdVersion = 951,
  DeviceAborted = 952,
  NonAcceptableContent = 953,
  LoaderError = 954,
}

/** The status text sent after the code (DLOTA 1.0 wording). */
export const DLOTA_STATUS_TEXT: Readonly<Record<DlotaStatus, string>> = Object.freeze({
  [DlotaStatus.Success]: 'Success',
  [DlotaStatus.InsufficientMemory]: 'Insufficient Memory',
  [DlotaStatus.UserCancelled]: 'User Cancelled',
  [DlotaStatus.LossOfService]: 'Loss of Service',
  [DlotaStatus.AttributeMismatch]: 'Attribute Mismatch',
  [DlotaStatus.InvalidDescriptor]: 'Invalid Descriptor',
  [DlotaStatus.InvalidDdVersion]: 'Invalid DDVersion',
  [DlotaStatus.DeviceAborted]: 'Device Aborted',
  [DlotaStatus.NonAcceptableContent]: 'Non-Acceptable Content',
  [DlotaStatus.LoaderError]: 'Loader Error',
});

/**
 * Where a FUMO result alone does not say enough, the engine names the cause of the failure:
 * `hash` the package's SHA-256 differs from the expected one (402); `flash` writing the slot
 * failed (501); `dd-version` the descriptor's DDVersion is not 1.x (405).
 */
export type DlotaCause = 'hash' | 'flash' | 'dd-version';

/** One row of the outcome table: FUMO `result` (and `cause` when given) → DLOTA `code`. */
export interface DlotaRow {
  result: FumoResult;
  cause?: DlotaCause;
  code: DlotaStatus;
  /** The download outcome in words (docs). */
  what: string;
}

/**
 * Download outcome → DLOTA code. The first row whose `result` matches and whose `cause` is absent
 * or equal wins (rows with a cause come before the plain row of the same result). A result the
 * table does not list → 952 Device Aborted (`DLOTA_FALLBACK`).
 */
export const DLOTA_TABLE: readonly DlotaRow[] = Object.freeze([
  { result: FumoResult.Successful, code: DlotaStatus.Success, what: 'package in the slot, size and SHA-256 verified' },
  { result: FumoResult.CorruptedPackage, cause: 'hash', code: DlotaStatus.LoaderError, what: 'SHA-256 of the package differs from the expected one' },
  { result: FumoResult.CorruptedPackage, code: DlotaStatus.AttributeMismatch, what: 'size differs from the descriptor / Ext / Content-Length, or the descriptor disagrees with Ext' },
  { result: FumoResult.PackageNotAcceptable, cause: 'dd-version', code: DlotaStatus.InvalidDdVersion, what: 'DDVersion is not 1.x' },
  { result: FumoResult.PackageNotAcceptable, code: DlotaStatus.InvalidDescriptor, what: 'descriptor unusable' },
  { result: FumoResult.BadUrl, code: DlotaStatus.LoaderError, what: 'objectURI unusable, or HTTP 404/410' },
  { result: FumoResult.AuthenticationFailure, code: DlotaStatus.LoaderError, what: 'HTTP 401/403/407 or TLS certificate refused' },
  { result: FumoResult.DownloadOutOfMemory, cause: 'flash', code: DlotaStatus.LoaderError, what: 'writing the slot failed' },
  { result: FumoResult.DownloadOutOfMemory, code: DlotaStatus.InsufficientMemory, what: 'package larger than the slot' },
  { result: FumoResult.RequestTimeout, code: DlotaStatus.LossOfService, what: 'timeouts past the retry budget' },
  { result: FumoResult.ServerUnavailable, code: DlotaStatus.LossOfService, what: 'connection refused, HTTP 503/429 past the retry budget' },
  { result: FumoResult.ServerError, code: DlotaStatus.LossOfService, what: 'HTTP 5xx, broken HTTP, too many redirects' },
  { result: FumoResult.NetworkIssues, code: DlotaStatus.LossOfService, what: 'drops past the retry budget' },
  { result: FumoResult.UserCancelled, code: DlotaStatus.UserCancelled, what: 'cancelled' },
  { result: FumoResult.ClientError, code: DlotaStatus.DeviceAborted, what: 'restart loop detected' },
  { result: FumoResult.UndefinedError, code: DlotaStatus.DeviceAborted, what: 'unexpected HTTP status, record or slot trouble' },
] as DlotaRow[]);

/** Code for a result the table does not list. */
export const DLOTA_FALLBACK = DlotaStatus.DeviceAborted;

/** The DLOTA code of a download outcome (see `DLOTA_TABLE`). */
export function dlotaStatusFor(result: number, cause?: DlotaCause): DlotaStatus {
  for (const row of DLOTA_TABLE) {
    if (row.result === result && (row.cause === undefined || row.cause === cause)) return row.code;
  }
  return DLOTA_FALLBACK;
}

/** True for a code of `DlotaStatus` (the record decoder checks persisted codes with it). */
export function isDlotaStatus(v: number): v is DlotaStatus {
  return Object.prototype.hasOwnProperty.call(DLOTA_STATUS_TEXT, v);
}

/** The report body: code, space, status text (ASCII, so its UTF-8 is the same string). */
export function dlotaReportText(code: DlotaStatus): string {
  return `${code} ${DLOTA_STATUS_TEXT[code]}`;
}

/** Content-Type of the report. */
export const DLOTA_REPORT_TYPE = 'text/plain; charset=utf-8';
