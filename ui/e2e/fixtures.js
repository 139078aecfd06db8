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
      audit_alarm_code: null,
    },
    site: {
      name: '高雄市立示範幼兒園',
      profile_id: 'kaohsiung-kindergarten',
      cameras: [
        { id: 'cam-01', name: '大門', location: '一樓大門口', zone: 'outdoor_public', features: { colour: true, full_angle: true, time_overlay: true, audio: true }, audio: true, property_number: '3140101-03-0001' },
        { id: 'cam-02', name: '遊戲室', location: '二樓', zone: 'activity_room', features: { colour: true, full_angle: true, time_overlay: true, audio: false }, audio: false, property_number: null },
        { id: 'cam-03', name: '後門', location: '一樓後門', zone: 'outdoor_public', features: { colour: false, full_angle: true, time_overlay: true, audio: false }, audio: false, property_number: null },
      ],
      people: { [enrollment.person_id]: '黃巡檢', '01JCUSTOSPERSON0000000002': '陳園長' },
      check_every_days: 7,
      paper_form: 'kaohsiung001',
      may_countersign: false,
      reads_applications: false,
      may_file: false,
      may_export: false,
      site_key_fingerprint: '3826b9d2a1de8c7fea5f80df196a435db9679c177d3d86add313462d89f18d06',
      may_spot_check: false,
      reads_holds: false,
      may_release_holds: false,
      retention: { floor_days: 14, ceiling_days: 365 },
      window_warn_minutes: 120,
      notices: {
        '01JCUSTOSNOTICE0000000001': {
          kind: 'location_notice_outdated',
          camera: null,
          subject: 'ab'.repeat(32),
          raised_at: NOW - 7_200_000,
          ended_at: null,
          detail: '網站公告的設置區位與登記不符，請更新公告（共 3 處）/ the published camera locations are not the register\'s: update the public notice',
        },
      },
      may_review_location_notice: false,
      reads_audit: false,
      escort_role: null,
      reads_logbook: false,
    },
    audit_review: null,
    verify_audit: null,
    logbook: {},
    location_notice: {
      list: [
        { number: 1, location: '一樓大門口', zone: 'outdoor_public' },
        { number: 2, location: '二樓', zone: 'activity_room' },
        { number: 3, location: '一樓後門', zone: 'outdoor_public' },
      ],
      digest: 'cd'.repeat(32),
      csv: '\ufeff編號,設置地點,區域\r\n1,一樓大門口,戶外公共區域\r\n2,二樓,室內活動室\r\n3,一樓後門,戶外公共區域\r\n',
      html: '<!doctype html><title>設置區位</title>',
      reviews: [
        {
          id: '01JCUSTOSREVIEW0000000001',
          review: { kind: 'published', reviewed_at: NOW - 100 * 86_400_000, reviewer: enrollment.person_id, list_digest: 'ab'.repeat(32), matches: true, note: '' },
        },
      ],
      notices: {
        '01JCUSTOSNOTICE0000000001': {
          kind: 'location_notice_outdated',
          camera: null,
          subject: 'cd'.repeat(32),
          raised_at: NOW - 7_200_000,
          ended_at: null,
          detail: '網站公告的設置區位與登記不符，請更新公告（共 3 處）',
        },
      },
      check_every_days: 90,
      may_review: false,
    },
    review_location_notice: '01JCUSTOSREVIEW0000000002',
    inspection_month: {
      year: MONTH.year,
      month: MONTH.month,
      checks: {
        '01JCUSTOSCHECK00000000001': { ...draftOf(), checked_at: NOW - 86_400_000, inspector: enrollment.person_id },
        // The host alone at fault: 004 附件1 ticks 存取異常 for it.
        '01JCUSTOSCHECK00000000003': { ...draftOf(), host_ok: false, handling: '主機重新開機', checked_at: NOW - 2 * 86_400_000, inspector: enrollment.person_id },
      },
      // As the core sums each check's faults (InspectionEntry::summary).
      summaries: {
        '01JCUSTOSCHECK00000000001': { all_normal: true, picture: false, audio: false, storage: false },
        '01JCUSTOSCHECK00000000003': { all_normal: false, picture: false, audio: false, storage: true },
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
        { id: 'cam-01', name: '大門', location: '一樓大門口', index: { recording: true, last_segment_age_s: 12, bitrate_kbps: 2100, gaps_last_hour: 0, outage_alarm: false }, picture: { black: false, frozen: false, blurred: false, fps: 10, sharpness: 1800, checked_at_ms: NOW, segment_start_ms: NOW - 60_000 }, link_problem: null },
        { id: 'cam-02', name: '遊戲室', location: '二樓', index: { recording: true, last_segment_age_s: 9, bitrate_kbps: 1900, gaps_last_hour: 0, outage_alarm: false }, picture: { black: false, frozen: false, blurred: true, fps: 10, sharpness: 8, checked_at_ms: NOW, segment_start_ms: NOW - 60_000 }, link_problem: null },
        { id: 'cam-03', name: '後門', location: '一樓後門', index: { recording: false, last_segment_age_s: 4000, bitrate_kbps: null, gaps_last_hour: 3, outage_alarm: true }, picture: null, link_problem: { kind: 'unreachable', at_ms: NOW - 20_000 } },
      ],
      disk: { free_bytes: 4e11, days_disk_can_hold: 40, floor_days: 14, floor_at_risk: false },
    },
    sync_now: { state: 'offline', message: 'the recorder cannot be reached', waiting: 2 },
    // A 2x2 grey PNG stands in for the camera's current picture.
    camera_snapshot:
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADklEQVR4nGNoaGhgYAAABQAB4rR0MAAAAABJRU5ErkJggg==',
    enroll: { __error: { kind: 'recorder', message: 'Enrollment code expired: ask for a new one', field: null } },
    record_check: { entry: '01JCUSTOSCHECK00000000002', repairs: ['01JCUSTOSREPAIR0000000002'] },
  };
  function draftOf() {
    return { host_ok: true, cameras: { 'cam-01': { ...ok, audio_ok: true }, 'cam-02': ok, 'cam-03': ok }, maintenance: '', handling: '', remarks: '', photos: [] };
  }
}


export const PEOPLE = {
  manager: '01JCUSTOSPERSON0000000010',
  supervisor: '01JCUSTOSPERSON0000000011',
  teacher: '01JCUSTOSPERSON0000000012',
  parent: '01JCUSTOSPERSON0000000013',
  head: '01JCUSTOSPERSON0000000014',
};
export const CASE_ID = '01JCUSTOSCASE000000000001';

/** 001 附件1 for a guardian, as the kindergarten profile describes it. */
/** @type {import('../src/lib/bindings').ApplicationForm} */
export const ANNEX1 = {
  applicant: 'guardian_or_student',
  paper: 'kaohsiung001_annex1',
  title_zh: '監視錄影系統監錄資料調閱申請單',
  title_en: 'Application to access CCTV footage',
  fields: /** @type {[string, string, string][]} */ ([
    ['applicant_name', '申請人', 'Applicant'],
    ['national_id', '身份證號', 'National ID'],
    ['phone', '聯絡電話', 'Phone'],
    ['relation', '與當事人關係', 'Relation to the person concerned'],
    ['unit', '調閱單位', 'Unit'],
    ['cameras', '監錄系統地點', 'Cameras'],
    ['window', '調閱監視畫面時段', 'Time window'],
    ['category', '事件類別', 'Kind of incident'],
    ['reason', '申請事由', 'Reason'],
  ]).map(([field, label_zh, label_en]) => ({ field: /** @type {any} */ (field), label_zh, label_en, required: true })),
  required_attachments: [],
  kinds: ['view'],
  categories: ['suspected_improper_treatment', 'gender_incident', 'accident', 'personal_rights', 'official_duty'],
  undertaking_zh:
    '影像資料僅供申請目的之使用，不得另行複製傳閱散佈播放，並應遵守「個人資料保護法」之規定，以維護當事人之隱私權益。若未遵守相關法律而衍生之爭議，由申請人自行負責。',
  signatures: [
    { signer: { kind: 'applicant' }, label_zh: '申請人', label_en: 'Applicant', roles: [], committee: false },
    { signer: { kind: 'step', step: 0 }, label_zh: '監錄系統管理承辦人', label_en: 'Officer in charge', roles: ['manager'], committee: false },
    { signer: { kind: 'step', step: 1 }, label_zh: '監錄系統管理處室主管', label_en: 'Head of the managing office', roles: ['supervisor'], committee: false },
    { signer: { kind: 'step', step: 2 }, label_zh: '專案小組', label_en: 'Review committee', roles: ['committee_staff', 'committee_parent'], committee: true },
    { signer: { kind: 'step', step: 3 }, label_zh: '校（園）長／負責人', label_en: 'Principal', roles: ['head'], committee: false },
  ],
};

/**
 * The kindergarten's applications as `person` (one of PEOPLE) sees them,
 * with the case awaiting `turn` (null: not this person's step).
 * @param {string} person
 * @param {import('../src/lib/bindings').Role[]} roles
 * @param {import('../src/lib/bindings').Turn | null} turn
 * @returns {Answers}
 */
export function applicationFixtures(person, roles, turn) {
  const base = fixtures(true);
  const enrollment = base.device_info && 'enrollment' in base.device_info ? base.device_info.enrollment : null;
  const hour = 3_600_000;
  const start = Math.floor((NOW - 3 * 86_400_000) / hour) * hour;
  /** @type {import('../src/lib/bindings').ApplicationCase} */
  const kase = {
    id: CASE_ID,
    filed_at: NOW - 2 * 86_400_000,
    filed_by: PEOPLE.manager,
    applicant_kind: 'guardian_or_student',
    applicant_name: '王小明家長',
    relation: '父親',
    unit: '大班',
    cameras: ['cam-02'],
    window: { start, end: start + hour },
    reason: '幼兒手臂瘀青，家長請求查看午睡時段',
    category: 'suspected_improper_treatment',
    kinds: ['view'],
    attachments: [],
    in_court: false,
    major_or_abnormal: false,
    personal_data_digest: 'ab'.repeat(32),
    viewer: null,
    official_letter: null,
  };
  /** @param {string} id @param {string} signer @param {import('../src/lib/bindings').Role} role @param {import('../src/lib/bindings').Decision} decision @param {number} ago */
  const event = (id, signer, role, decision, ago) => ({
    id, application: CASE_ID, decision, role, signer, device: '0f'.repeat(16), case_hash: 'cd'.repeat(32),
    site_heads: [], seen: [], signed_at: NOW - ago, signature: 'ef'.repeat(64),
  });
  const decisions = {
    '01JCUSTOSEVENT00000000001': event('01JCUSTOSEVENT00000000001', PEOPLE.manager, 'manager', { kind: 'approve' }, 40 * hour),
    '01JCUSTOSEVENT00000000002': event('01JCUSTOSEVENT00000000002', PEOPLE.supervisor, 'supervisor', { kind: 'approve' }, 30 * hour),
    '01JCUSTOSEVENT00000000003': event('01JCUSTOSEVENT00000000003', PEOPLE.teacher, 'committee_staff', { kind: 'vote', in_favour: true, reason: '' }, 20 * hour),
  };
  /** @type {(roles: import('../src/lib/bindings').Role[], done: boolean, signers: string[], f?: number) => import('../src/lib/bindings').StepProgress} */
  const progress = (roles, done, signers, f = 0) => ({ roles, done, signers, votes_for: f, votes_against: 0 });
  /** @type {import('../src/lib/bindings').ApplicationView} */
  const view = {
    case: kase,
    status: { state: 'in_review', next_step: 2 },
    exported: false,
    decisions,
    ignored: {},
    steps: [
      { label_zh: '監錄系統管理承辦人', label_en: 'Officer in charge', committee: false, progress: progress(['manager'], true, [PEOPLE.manager]) },
      { label_zh: '監錄系統管理處室主管', label_en: 'Head of the managing office', committee: false, progress: progress(['supervisor'], true, [PEOPLE.supervisor]) },
      { label_zh: '專案小組', label_en: 'Review committee', committee: true, progress: progress(['committee_staff', 'committee_parent'], false, [PEOPLE.teacher], 1) },
      { label_zh: '校（園）長／負責人', label_en: 'Principal', committee: false, progress: progress(['head'], false, []) },
    ],
    turn,
    provisional: false,
    notices: {},
  };
  /** @type {import('../src/lib/bindings').ApplicationView} */
  const decided = {
    ...view,
    case: { ...kase, id: '01JCUSTOSCASE000000000000', applicant_name: '李老師', filed_at: NOW - 20 * 86_400_000 },
    status: { state: 'rejected', reasons: ['時段與事由不符'] },
    turn: null,
    provisional: false,
  };
  /** @type {import('../src/lib/bindings').LogbookEntry} */
  const logEntry = {
        application: CASE_ID, session: '01JCUSTOSLOGBOOK000000001', opened_at: NOW - 86_400_000, closed_at: NOW - 86_000_000, applicant_name: '王小明家長', unit: '大班',
        cameras: ['cam-02'], window: kase.window, reason_summary: '幼兒手臂瘀青', escort: PEOPLE.manager, handling: ['view'],
        served: [{ camera: 'cam-02', spans: [{ from: kase.window.start, to: kase.window.start + 36_999 }], frames: 37 }],
        ended_by: 'escort', after_viewing: '已留存調閱之影像 (001 §6(4))',
      };
  /** @type {import('../src/lib/bindings').LogbookEntry} */
  const copyEntry = {
        ...logEntry, session: '01JCUSTOSLOGBOOK000000002', applicant_name: '李警員', unit: '高雄市政府警察局', handling: ['copy'],
        reason_summary: '偵辦竊盜案（高市警刑字第1150001234號）', served: [{ camera: 'cam-02', spans: [{ from: kase.window.start, to: kase.window.start + 179_999 }], frames: 0 }],
        ended_by: 'exported', after_viewing: '匯出 3 段原始影像至錄影主機外接磁碟，驗證無誤，工作副本已刪除',
      };
  const names = { [PEOPLE.manager]: '林專責', [PEOPLE.supervisor]: '張主任', [PEOPLE.teacher]: '陳老師', [PEOPLE.parent]: '吳家長', [PEOPLE.head]: '陳園長' };
  const window = { from_ms: start, to_ms: start + 3 * hour };
  return {
    ...base,
    device_info: { device_id: '0f'.repeat(16), enrollment: enrollment && { ...enrollment, person_id: person, person_name: names[person] ?? '', roles } },
    site: base.site && 'name' in base.site ? { ...base.site, people: names, reads_applications: true, may_file: roles.includes('manager'), may_export: roles.includes('manager'), may_spot_check: roles.includes('auditor'), reads_holds: true, may_release_holds: roles.includes('head'), reads_audit: roles.includes('head') || roles.includes('auditor'), reads_logbook: roles.includes('manager') || roles.includes('head') || roles.includes('auditor') } : base.site,
    applications: [view, decided],
    decide: { ...view, provisional: true },
    holds: {
      holds: {
        '01JCUSTOSHOLD000000000001': {
          cameras: ['cam-02'], window: kase.window, basis: 'application_filed', legal_basis: '監視錄影系統管理要點第六點(三)',
          reference: CASE_ID, application: CASE_ID, placed_at: kase.filed_at, placed_by: null, review_at: kase.filed_at + 30 * 86_400_000,
        },
        '01JCUSTOSHOLD000000000002': {
          cameras: ['cam-01'], window: { start: start - 86_400_000, end: start - 82_800_000 }, basis: 'official_letter', legal_basis: '刑事訴訟法第133條',
          reference: '高市警刑字第1號', application: null, placed_at: NOW - 5 * 86_400_000, placed_by: PEOPLE.manager, review_at: NOW + 25 * 86_400_000,
        },
      },
      released: {},
      ended_by_application: [],
      lapses_at: { '01JCUSTOSHOLD000000000001': kase.filed_at + 30 * 86_400_000, '01JCUSTOSHOLD000000000002': NOW + 5 * 86_400_000 },
      renewals: {},
      // The letter's hold lapses within the week: the recorder says so.
      notices: {
        '01JCUSTOSNOTICE000000003': {
          kind: 'hold_lapsing', camera: null, subject: '01JCUSTOSHOLD000000000002', raised_at: NOW - 3_600_000, ended_at: null,
          detail: '保存將於屆期（高市警刑字第1號）',
        },
      },
      renewal_days: 90,
    },
    release_hold: null,
    renew_hold: null,
    // The trail as the device checked it: the newest checkpoint's
    // countersignature by someone who may not sign fails.
    audit_review: {
      verified_at: NOW - 600_000,
      findings: {
        checkpoints: [
          { tree_size: 42, at: NOW - 3_600_000, site_signature: true, continues: true, countersignatures: [
            { signer: PEOPLE.head, role: 'head', signed_at: NOW - 3_000_000, problem: null, problem_code: null },
            { signer: PEOPLE.manager, role: 'manager', signed_at: NOW - 2_000_000, problem: 'the signer did not hold a role allowed to seal this: manager', problem_code: 'role_not_allowed' },
          ] },
          { tree_size: 30, at: NOW - 86_400_000, site_signature: true, continues: true, countersignatures: [] },
        ],
        alarm: null,
        alarm_code: null,
        sound: false,
      },
      // The footage log signed and growing; the re-hash found one file changed.
      footage: {
        sealed: 18_432,
        checked_at: NOW - 3_600_000,
        signed: true,
        continues: true,
        findings: [
          {
            camera: 'cam-01', file: '20261123T020000Z.mp4', seq: 1_207, missing: false,
            detail: 'footage cam-01 20261123T020000Z.mp4 (sealed as segment 1207): not as sealed: SHA-256 5d41…, sealed with 2c26…',
            found_at: NOW - 7_200_000,
          },
        ],
      },
    },
    verify_audit: {
      verified_at: NOW,
      findings: {
        checkpoints: [{ tree_size: 42, at: NOW - 3_600_000, site_signature: true, continues: true, countersignatures: [{ signer: PEOPLE.head, role: 'head', signed_at: NOW - 3_000_000, problem: null, problem_code: null }] }],
        alarm: null,
        alarm_code: null,
        sound: true,
      },
      footage: { sealed: 18_480, checked_at: NOW - 60_000, signed: true, continues: true, findings: [] },
    },
    logbook: { '01JCUSTOSLOGBOOK000000001': logEntry, '01JCUSTOSLOGBOOK000000002': copyEntry },
    logbook_view: {
      year: new Date(NOW).getFullYear(),
      entries: { '01JCUSTOSLOGBOOK000000001': logEntry, '01JCUSTOSLOGBOOK000000002': copyEntry },
      // The supervisor countersigned; the manager has yet to.
      countersigned: { '01JCUSTOSLOGBOOK000000001': [{ signer: PEOPLE.supervisor, role: 'supervisor', signed_at: NOW - 80_000_000 }] },
      countersign_role: roles.includes('manager') || roles.includes('supervisor') ? (roles.includes('manager') ? 'manager' : 'supervisor') : null,
      paper_form: 'kaohsiung001',
    },
    countersign_logbook: null,
    amend_application: { ...view, provisional: true },
    // Only a guardian's form: the profile takes no other applicant here.
    application_form: /** @type {any} */ ({
      __byArg: 'applicant',
      values: { guardian_or_student: ANNEX1 },
      otherwise: { __error: { kind: 'invalid', message: 'the site does not accept applications from this applicant', field: null } },
    }),
    file_application: CASE_ID,
    application_personal: { national_id: 'A123456789', phone: '0912345678', address: null, officer_id: null, signature: '5c'.repeat(32), salt: '11'.repeat(32) },
    photo: base.camera_snapshot,
    // The drawn signature, kept as a photo.
    add_photo: { sha256: '5c'.repeat(32), thumbnail: base.camera_snapshot && typeof base.camera_snapshot === 'string' ? base.camera_snapshot : '', width: 600, height: 200 },
    footage_spans: {
      window,
      cameras: [
        { camera: 'cam-01', recorded: [window], missing: [] },
        { camera: 'cam-02', recorded: [{ from_ms: start, to_ms: start + hour }], missing: [{ from_ms: start + hour, to_ms: start + 3 * hour }] },
      ],
    },
  };
}
