// @ts-check
// The answers of the app's Rust side for the screen tests, typed against
// the generated bindings (src/lib/bindings.ts): a fixture that the Rust
// side could not send fails `npm run check`.

export const NOW = Date.now();
/** @type {{ year: number, month: number }} */
export const MONTH = /** @type {any} */ (new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Taipei', year: 'numeric', month: 'numeric' })
  .formatToParts(NOW)
  .reduce((a, p) => ({ ...a, [p.type]: Number(p.value) }), {}));
/** @type {import('../src/lib/bindings').CameraCheck} */
const ok = { running: true, picture_clear: true, audio_ok: null, storage_ok: true, time_correct: true, note: '' };

/**
 * What the mocked Rust side answers, per command: what that command returns
 * (the generated types), or the error it throws.
 * @typedef {typeof import('../src/lib/bindings').commands} Commands
 * @typedef {{ __error: import('../src/lib/bindings').CommandError }} Thrown
 * @typedef {{ [K in keyof Commands]?: Awaited<ReturnType<Commands[K]>> | Thrown }} Answers
 */

/**
 * What the mocked Rust side answers, per scenario.
 * @param {boolean} enrolled
 * @returns {Answers}
 */
export function fixtures(enrolled) {
  const enrollment = {
    recorder: 'https://192.168.1.10:7443',
    fingerprint: 'ab'.repeat(32),
    device_id: '0f'.repeat(16),
    person_id: '01JCUSTOSPERSON0000000001',
    person_name: '黃巡檢',
    roles: ['inspector'],
    site_name: '高雄市立示範幼兒園',
    profile_id: 'kaohsiung-kindergarten',
    recorder_public_key: 'cd'.repeat(32),
  };
  return {
    device_info: { device_id: '0f'.repeat(16), enrollment: enrolled ? enrollment : null },
    sync_status: {
      waiting: 2,
      refused: [
        {
          hash: 'aa'.repeat(32),
          document: `inspections/${MONTH.year}-${String(MONTH.month).padStart(2, '0')}`,
          rule: 'author',
          message: '檢查紀錄須由檢查人本人登錄',
        },
      ],
      last: { state: 'offline', message: 'the recorder cannot be reached', waiting: 2 },
      audit_alarm: null,
    },
    site: {
      name: '高雄市立示範幼兒園',
      profile_id: 'kaohsiung-kindergarten',
      cameras: [
        { id: 'cam-01', name: '大門', location: '一樓大門口', audio: true, property_number: '3140101-03-0001' },
        { id: 'cam-02', name: '遊戲室', location: '二樓', audio: false, property_number: null },
        { id: 'cam-03', name: '後門', location: '一樓後門', audio: false, property_number: null },
      ],
      people: { [enrollment.person_id]: '黃巡檢', '01JCUSTOSPERSON0000000002': '陳園長' },
      check_every_days: 7,
      paper_form: 'kaohsiung001',
      may_countersign: false,
    },
    inspection_month: {
      year: MONTH.year,
      month: MONTH.month,
      checks: {
        '01JCUSTOSCHECK00000000001': { ...draftOf(), checked_at: NOW - 86_400_000, inspector: enrollment.person_id },
      },
      repairs: {
        '01JCUSTOSREPAIR0000000001': {
          found_in: '01JCUSTOSCHECK00000000001',
          camera: 'cam-02',
          fault: 'picture',
          description: '鏡頭起霧',
          opened_by: enrollment.person_id,
          opened_at: NOW - 86_400_000,
          closed: null,
        },
      },
      seals: {},
      alarms: {
        '01JCUSTOSALARM00000000001': {
          kind: 'camera_outage',
          camera: 'cam-03',
          raised_at: NOW - 3_600_000,
          ended_at: null,
          detail: '後門（一樓後門）',
        },
      },
    },
    camera_health: {
      open: true,
      cameras: [
        { id: 'cam-01', name: '大門', location: '一樓大門口', index: { recording: true, last_segment_age_s: 12, bitrate_kbps: 2100, gaps_last_hour: 0, outage_alarm: false }, picture: { black: false, frozen: false, blurred: false, fps: 10, sharpness: 1800, checked_at_ms: NOW, segment_start_ms: NOW - 60_000 } },
        { id: 'cam-02', name: '遊戲室', location: '二樓', index: { recording: true, last_segment_age_s: 9, bitrate_kbps: 1900, gaps_last_hour: 0, outage_alarm: false }, picture: { black: false, frozen: false, blurred: true, fps: 10, sharpness: 8, checked_at_ms: NOW, segment_start_ms: NOW - 60_000 } },
        { id: 'cam-03', name: '後門', location: '一樓後門', index: { recording: false, last_segment_age_s: 4000, bitrate_kbps: null, gaps_last_hour: 3, outage_alarm: true }, picture: null },
      ],
      disk: { free_bytes: 4e11, days_disk_can_hold: 40, floor_days: 14, floor_at_risk: false },
    },
    sync_now: { state: 'offline', message: 'the recorder cannot be reached', waiting: 2 },
    // A 2x2 grey PNG stands in for the camera's current picture.
    camera_snapshot:
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADklEQVR4nGNoaGhgYAAABQAB4rR0MAAAAABJRU5ErkJggg==',
    enroll: { __error: { kind: 'recorder', message: 'Enrollment code expired: ask for a new one' } },
    record_check: { entry: '01JCUSTOSCHECK00000000002', repairs: ['01JCUSTOSREPAIR0000000002'] },
  };
  function draftOf() {
    return { host_ok: true, cameras: { 'cam-01': { ...ok, audio_ok: true }, 'cam-02': ok, 'cam-03': ok }, maintenance: '', handling: '', remarks: '', photos: [] };
  }
}

