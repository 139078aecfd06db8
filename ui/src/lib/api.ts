// Every call into the app's Rust side, under the names the screens use.
// The commands and every type they send and return are generated from the
// Rust signatures into `bindings.ts` (`cargo xtask bindings`); this module
// only names them, and adds what a generated binding cannot do: send a
// photo as the raw request body, listen to sync events.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { commands, type CommandError, type PhotoView, type SyncEvent } from './bindings';

export type * from './bindings';

export const appInfo = commands.app_info;
export const deviceInfo = commands.device_info;
export const enroll = commands.enroll;
export const syncNow = commands.sync_now;
export const syncStatus = commands.sync_status;
export const dismissRefused = commands.dismiss_refused;
export const site = commands.site;
export const locationNotice = commands.location_notice;
export const reviewLocationNotice = commands.review_location_notice;
export const inspectionMonth = commands.inspection_month;
export const recordCheck = commands.record_check;
export const closeRepair = commands.close_repair;
export const countersignCheck = commands.countersign_check;
export const cameraHealth = commands.camera_health;
export const cameraSnapshot = commands.camera_snapshot;
export const openViewing = commands.open_viewing;
export const closeViewing = commands.close_viewing;
export const startExport = commands.start_export;
export const exportJob = commands.export_job;
export const logbookView = commands.logbook_view;
export const countersignLogbook = commands.countersign_logbook;
export const applicationForm = commands.application_form;
export const fileApplication = commands.file_application;
export const amendApplication = commands.amend_application;
export const footageSpans = commands.footage_spans;
export const decide = commands.decide;
export const applications = commands.applications;
export const applicationPersonal = commands.application_personal;
export const photo = commands.photo;
export const logbook = commands.logbook;
export const auditReview = commands.audit_review;
export const verifyAudit = commands.verify_audit;
export const holds = commands.holds;
export const releaseHold = commands.release_hold;
export const renewHold = commands.renew_hold;

/** A photo's bytes go as the raw request body: no JSON array of numbers. */
export async function addPhoto(file: Blob): Promise<PhotoView> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return invoke<PhotoView>('add_photo', bytes);
}

/** The commands above by their Rust names, for the test that they are all here. */
export const byCommand = {
  app_info: appInfo,
  device_info: deviceInfo,
  enroll,
  sync_now: syncNow,
  sync_status: syncStatus,
  dismiss_refused: dismissRefused,
  site,
  location_notice: locationNotice,
  review_location_notice: reviewLocationNotice,
  inspection_month: inspectionMonth,
  record_check: recordCheck,
  close_repair: closeRepair,
  add_photo: addPhoto,
  countersign_check: countersignCheck,
  camera_health: cameraHealth,
  camera_snapshot: cameraSnapshot,
  open_viewing: openViewing,
  close_viewing: closeViewing,
  start_export: startExport,
  export_job: exportJob,
  logbook_view: logbookView,
  countersign_logbook: countersignLogbook,
  application_form: applicationForm,
  file_application: fileApplication,
  amend_application: amendApplication,
  footage_spans: footageSpans,
  decide,
  applications,
  application_personal: applicationPersonal,
  photo,
  logbook,
  audit_review: auditReview,
  verify_audit: verifyAudit,
  holds,
  release_hold: releaseHold,
  renew_hold: renewHold,
} satisfies Record<keyof typeof commands, unknown>;

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === 'object' && e !== null && 'kind' in e && 'message' in e;
}

/** What to tell a person about a failed call: the command's own words. */
export function errorMessage(e: unknown): string {
  return isCommandError(e) ? e.message : String(e);
}

/** A frame of a viewing as the screen shows it: an in-memory picture. */
export interface ShownFrame {
  /** An object URL of the JPEG (revoke it when replaced). */
  url: string;
  /** The footage time of the frame (ms). */
  at: number;
  keyframe: boolean;
}

/** Where frames come from: the app's `custosframe` scheme (a screen test
 * points it at its own server with `__CUSTOS_FRAME_BASE__`). */
function frameBase(): string {
  const override = (globalThis as { __CUSTOS_FRAME_BASE__?: unknown }).__CUSTOS_FRAME_BASE__;
  if (typeof override === 'string') return override;
  const ua = navigator.userAgent;
  return ua.includes('Windows') || ua.includes('Android') ? 'http://custosframe.localhost/' : 'custosframe://localhost/';
}

/** How a frame is asked: the keyframe before `t` while scrubbing, the
 * exact frame, or the exact frame with the next second decoded (play). */
export type FrameMode = 'keyframe' | 'exact' | 'play';

/** The frame of `camera` for `t` in `session`; never cached, never written to disk. */
export async function fetchFrame(session: string, camera: string, t: number, mode: FrameMode): Promise<ShownFrame> {
  const path = `${encodeURIComponent(session)}/${encodeURIComponent(camera)}/${Math.round(t)}`;
  const res = await fetch(`${frameBase()}${path}?mode=${mode}`, { cache: 'no-store' });
  if (!res.ok) {
    let message = res.statusText;
    try {
      message = (await res.json()).message ?? message;
    } catch {
      // Not JSON: the status says it.
    }
    throw { kind: res.status === 410 ? 'gone' : 'recorder', message, field: null, status: res.status };
  }
  const blob = await res.blob();
  return {
    url: URL.createObjectURL(blob),
    at: Number(res.headers.get('x-frame-time') ?? t),
    keyframe: res.headers.get('x-frame-kind') === 'keyframe',
  };
}

/** The scrubber's strip of thumbnails of `camera` in `session`, as an
 * object URL (revoke it when replaced); never cached. */
export async function fetchStrip(session: string, camera: string): Promise<string> {
  const res = await fetch(`${frameBase()}${encodeURIComponent(session)}/${encodeURIComponent(camera)}/strip`, { cache: 'no-store' });
  if (!res.ok) throw { kind: 'recorder', message: res.statusText, field: null, status: res.status };
  return URL.createObjectURL(await res.blob());
}

/** True inside the Tauri shell; false in a plain browser. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

/** Sync progress and state, as the app's Rust side emits them. */
export function onSync(handler: (event: SyncEvent) => void): Promise<UnlistenFn> {
  return listen<SyncEvent>('sync', (e) => handler(e.payload));
}
