// The walk-around check as the inspector fills it in: camera by camera,
// pre-filled from the recorder's measured health, checked here with the
// same rules the recorder applies (crates/core/src/inspection.rs), so a
// mistake is shown at once rather than refused later.

import type { CameraCheck, CameraHealth, CameraView, CheckDraft } from './api';
import type { MessageKey } from './i18n';

/** A camera that records a clear picture, with everything confirmed. */
export function allClear(camera: CameraView): CameraCheck {
  return {
    running: true,
    picture_clear: true,
    audio_ok: camera.audio ? true : null,
    storage_ok: true,
    time_correct: true,
    note: '',
  };
}

/**
 * A new draft for `cameras`. Where the recorder measured a camera, its
 * findings come first: not recording, or a black, frozen or blurred picture, is
 * marked as a fault for the inspector to confirm or correct.
 */
export function newDraft(cameras: CameraView[], health: CameraHealth[] = []): CheckDraft {
  const measured = new Map(health.map((h) => [h.id, h]));
  const results: Record<string, CameraCheck> = {};
  for (const camera of cameras) {
    const check = allClear(camera);
    const h = measured.get(camera.id);
    if (h) {
      check.running = h.index.recording;
      if (h.picture && (h.picture.black || h.picture.frozen || h.picture.blurred)) check.picture_clear = false;
    }
    results[camera.id] = check;
  }
  return { host_ok: true, cameras: results, maintenance: '', handling: '', remarks: '', photos: [] };
}

export type Fault = { camera: string | null; kind: 'host' | 'not_running' | 'picture' | 'audio' | 'storage' | 'time' };

/** Every fault the draft records; each opens a repair. */
export function faults(draft: CheckDraft): Fault[] {
  const found: Fault[] = draft.host_ok ? [] : [{ camera: null, kind: 'host' }];
  for (const [camera, c] of Object.entries(draft.cameras)) {
    if (!c.running) found.push({ camera, kind: 'not_running' });
    if (!c.picture_clear) found.push({ camera, kind: 'picture' });
    if (c.audio_ok === false) found.push({ camera, kind: 'audio' });
    if (!c.storage_ok) found.push({ camera, kind: 'storage' });
    if (!c.time_correct) found.push({ camera, kind: 'time' });
  }
  return found;
}

export interface Problem {
  key: MessageKey;
  camera?: string;
}

/** What keeps the draft from being recorded, each as a message key. */
export function problems(draft: CheckDraft, cameras: CameraView[]): Problem[] {
  const found: Problem[] = [];
  for (const camera of cameras) {
    const c = draft.cameras[camera.id];
    if (!c) {
      found.push({ key: 'check.problem.unchecked', camera: camera.id });
    } else if (camera.audio !== (c.audio_ok !== null)) {
      found.push({ key: 'check.problem.audio', camera: camera.id });
    }
  }
  const known = new Set(cameras.map((c) => c.id));
  for (const id of Object.keys(draft.cameras)) {
    if (!known.has(id)) found.push({ key: 'check.problem.unknownCamera', camera: id });
  }
  if (faults(draft).length > 0 && (draft.handling ?? '').trim() === '') {
    found.push({ key: 'check.problem.handling' });
  }
  return found;
}
