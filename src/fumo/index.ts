/**
 * FUMO (firmware update management object) for the omadm agent: the MO, its state machine, A/B
 * boot control, alternate downloads and the result alerts.
 *
 *   const fumo = Fumo.attach(agent, {
 *     flash, slots: [{ offset: 0, size: S }, { offset: S, size: S }],
 *     reboot: () => device.reboot(),
 *   });
 *
 * `attach` registers the CSP at `./FUMO` (permanent skeleton per instance), and resumes whatever
 * `fumo.rec` says was in progress on the next timer tick (a download continues with HTTP Range, an
 * update whose boot flag flipped is committed or reported as rolled back, a result not yet
 * acknowledged is sent again in a client-initiated session).
 */
import type { FumoHost, FumoOptions } from './FumoCsp';
import { FumoCsp } from './FumoCsp';

export const Fumo = {
  /** Creates the FUMO CSP over `host` (the Agent satisfies FumoHost), registers it and schedules the resume. */
  attach(host: FumoHost, opts: FumoOptions): FumoCsp {
    const f = new FumoCsp(host, opts);
    host.tree.addCsp(f);
    host.platform.setTimer(0, () => f.resume());
    return f;
  },
};

export { FumoCsp, DEFAULT_FUMO_ACL, DEFAULT_FUMO_INSTANCES, DEFAULT_FUMO_LIMITS, DEFAULT_FUMO_ROOT, FUMO_MO_TYPE, checkFumoLimits } from './FumoCsp';
export type { FumoHost, FumoLimits, FumoOptions, FumoProgress } from './FumoCsp';
export { FumoEvent, FumoMachine, FumoOp, FumoState, RESUME, ResumeAction, TRANSITIONS, TERMINAL_STATES, BUSY_STATES, isFumoState, stateName } from './Machine';
export type { Transition } from './Machine';
export { FumoResult, FUMO_ALERT_TYPES, isSuccessResult, resultAlert } from './alert';
export type { AlertSource, ResultAlertInput } from './alert';
export { BootControl, BOOT_RECORD_NAME, DEFAULT_BOOT_TRIES } from './BootControl';
export type { BootDecision, BootState, BootControlOptions } from './BootControl';
export { Downloader, DEFAULT_DOWNLOADER_LIMITS, checkDownloaderLimits, usableRequestUrl } from './Downloader';
export type { DownloaderLimits, DownloadTarget, DownloadOutcome, PostOutcome } from './Downloader';
export { DlotaStatus, DLOTA_FALLBACK, DLOTA_REPORT_TYPE, DLOTA_STATUS_TEXT, DLOTA_TABLE, dlotaReportText, dlotaStatusFor, isDlotaStatus } from './dlota';
export type { DlotaCause, DlotaRow } from './dlota';
export { parseDownloadDescriptor, DD_MEDIA_TYPE } from './dd';
export type { DownloadDescriptor } from './dd';
export { encodeImage, parseImageHeader, omadmImageCheck, IMAGE_HEADER_SIZE, IMAGE_MAGIC } from './image';
export type { ImageHeader, ImageCheck } from './image';
export { FumoRecordStore, decodeFumoRecord, encodeFumoRecord, idleRecord, PkgSource, FUMO_RECORD_NAME, FUMO_RECORD_VERSION } from './record';
export type { FumoRecord } from './record';
export { SlotWriter, checkSlots, readSlot } from './slot';
export type { FlashDevice, SlotLayout } from './slot';
