// Every call into the app's Rust side goes through this module, typed. The
// shapes mirror src-tauri/src/commands.rs (see docs/app.md).
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

export interface AppInfo {
  version: string;
  coreVersion: string;
  profiles: string[];
}

/** A command's error: `kind` for the program, `message` for people. */
export interface CommandError {
  kind:
    | 'offline'
    | 'wrong_certificate'
    | 'refused'
    | 'recorder'
    | 'not_enrolled'
    | 'already_enrolled'
    | 'no_site'
    | 'invalid'
    | 'not_found'
    | 'store'
    | 'photo';
  message: string;
}

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === 'object' && e !== null && 'kind' in e && 'message' in e;
}

export interface Enrollment {
  recorder: string;
  fingerprint: string;
  device_id: string;
  person_id: string;
  person_name: string;
  roles: string[];
  site_name: string;
  profile_id: string;
  recorder_public_key: string;
}

export interface DeviceInfo {
  deviceId: string;
  enrollment: Enrollment | null;
}

export type SyncEvent =
  | { state: 'syncing'; stage: 'photos' | 'push' | 'pull'; done: number; total: number }
  | { state: 'refused'; document: string; rule: string; message: string; entry: string | null }
  | { state: 'synced'; at_ms: number; waiting: number; refused: number }
  | { state: 'offline'; message: string; waiting: number }
  | { state: 'audit_alarm'; message: string }
  | { state: 'failed'; message: string };

export interface RefusedChange {
  hash: string;
  document: string;
  rule: string;
  message: string;
}

export interface SyncStatus {
  waiting: number;
  refused: RefusedChange[];
  last: SyncEvent | null;
  auditAlarm: string | null;
}

export interface CameraView {
  id: string;
  name: string;
  location: string;
  audio: boolean;
  propertyNumber: string | null;
}

export interface SiteView {
  name: string;
  profileId: string;
  cameras: CameraView[];
  /** Names by person id. */
  people: Record<string, string>;
  /** How often the profile asks for the check, in days; null: no schedule. */
  checkEveryDays: number | null;
}

/** One camera's result, as the core stores it (snake_case on purpose). */
export interface CameraCheck {
  running: boolean;
  picture_clear: boolean;
  audio_ok: boolean | null;
  storage_ok: boolean;
  time_correct: boolean;
  note: string;
}

export interface CheckDraft {
  host_ok: boolean;
  cameras: Record<string, CameraCheck>;
  maintenance: string;
  handling: string;
  remarks: string;
  photos: string[];
}

export interface InspectionEntry extends CheckDraft {
  checked_at: number;
  inspector: string;
}

export interface Repair {
  found_in: string;
  camera: string | null;
  fault: 'host' | 'not_running' | 'picture' | 'audio' | 'storage' | 'time';
  description: string;
  opened_by: string;
  opened_at: number;
  closed: { closed_by: string; closed_at: number; note: string; photos: string[] } | null;
}

/** A signed seal (核章 on a check names the check as its subject). */
export interface Seal {
  id: string;
  purpose: 'countersign' | 'release_hold' | 'audit_checkpoint';
  subject: string;
  role: string;
  signer: string;
  signed_at: number;
}

export interface MonthView {
  year: number;
  month: number;
  checks: Record<string, InspectionEntry>;
  repairs: Record<string, Repair>;
  seals: Record<string, Seal>;
  /** 系統警示: written by the recorder from what it measured. */
  alarms: Record<string, RecorderAlarm>;
}

export interface RecorderAlarm {
  kind: 'camera_outage' | 'retention_floor_at_risk';
  /** null for the recorder as a whole. */
  camera: string | null;
  raised_at: number;
  /** null while it lasts. */
  ended_at: number | null;
  detail: string;
}

export interface RecordedCheck {
  entry: string;
  repairs: string[];
}

export interface PhotoView {
  sha256: string;
  thumbnail: string;
  width: number;
  height: number;
}

/** The recorder's measured health, as /v1/cameras/health sends it. */
export interface CameraHealth {
  id: string;
  name: string;
  location: string;
  index: {
    recording: boolean;
    last_segment_age_s: number | null;
    bitrate_kbps: number | null;
    gaps_last_hour: number;
    /** Not recording while the site is open: an alarm. */
    outage_alarm: boolean;
  };
  picture: {
    black: boolean;
    frozen: boolean;
    blurred: boolean;
    fps: number | null;
    sharpness: number | null;
    checked_at_ms: number;
  } | null;
}

export interface SiteHealth {
  /** Whether the site is open now (its opening hours). */
  open: boolean;
  cameras: CameraHealth[];
  disk: { free_bytes: number; days_disk_can_hold: number | null; floor_days: number; floor_at_risk: boolean };
}

/** True inside the Tauri shell; false in a plain browser. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

export const appInfo = () => invoke<AppInfo>('app_info');
export const deviceInfo = () => invoke<DeviceInfo>('device_info');
export const enroll = (text: string) => invoke<Enrollment>('enroll', { text });
export const syncNow = () => invoke<SyncEvent>('sync_now');
export const syncStatus = () => invoke<SyncStatus>('sync_status');
export const dismissRefused = (hash: string) => invoke<void>('dismiss_refused', { hash });
export const site = () => invoke<SiteView>('site');
export const inspectionMonth = (year: number, month: number) =>
  invoke<MonthView>('inspection_month', { year, month });
export const recordCheck = (draft: CheckDraft) => invoke<RecordedCheck>('record_check', { draft });
export const closeRepair = (year: number, month: number, repair: string, note: string, photos: string[]) =>
  invoke<void>('close_repair', { year, month, repair, note, photos });
export const countersignCheck = (year: number, month: number, entry: string) =>
  invoke<void>('countersign_check', { year, month, entry });
export const cameraHealth = () => invoke<SiteHealth>('camera_health');
export const cameraSnapshot = (camera: string) => invoke<string>('camera_snapshot', { camera });

/** A photo's bytes go as the raw request body: no JSON array of numbers. */
export async function addPhoto(file: Blob): Promise<PhotoView> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return invoke<PhotoView>('add_photo', bytes);
}

/** Sync progress and state, as the app's Rust side emits them. */
export function onSync(handler: (event: SyncEvent) => void): Promise<UnlistenFn> {
  return listen<SyncEvent>('sync', (e) => handler(e.payload));
}
