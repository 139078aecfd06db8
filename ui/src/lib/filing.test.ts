import { describe, expect, it } from 'vitest';
import type { ApplicationForm, FormField } from './bindings';
import { fromCase, newFiling, toDraft, validate, windowMinutes, type Filing } from './filing';
import { en, zhTW } from './i18n';

const field = (f: FormField['field'], required = true): FormField => ({ field: f, label_zh: f, label_en: f, required });

/** 001 附件1 for a guardian, as the kindergarten profile describes it. */
const annex1: ApplicationForm = {
  applicant: 'guardian_or_student',
  paper: 'kaohsiung001_annex1',
  title_zh: '監視錄影系統監錄資料調閱申請單',
  title_en: 'Application to access CCTV footage',
  fields: ['applicant_name', 'national_id', 'phone', 'relation', 'unit', 'cameras', 'window', 'category', 'reason'].map((f) =>
    field(f as FormField['field']),
  ),
  required_attachments: [],
  kinds: ['view'],
  categories: ['suspected_improper_treatment', 'gender_incident', 'accident'],
  undertaking_zh: '影像資料僅供申請目的之使用，不得另行複製傳閱散佈播放。',
  signatures: [{ signer: { kind: 'applicant' }, label_zh: '申請人', label_en: 'Applicant', roles: [], committee: false }],
};

/** An agency's letter: its particulars, an optional phone, the letter attached. */
const letter: ApplicationForm = {
  applicant: 'public_agency',
  paper: 'official_letter',
  title_zh: '機關調閱 (公文)',
  title_en: 'Agency request (official letter)',
  fields: [
    field('applicant_name'),
    field('letter_number'),
    field('letter_date'),
    field('legal_basis'),
    field('purpose'),
    field('scope'),
    field('use'),
    field('phone', false),
    field('cameras'),
    field('window'),
    field('reason'),
  ],
  required_attachments: ['official_letter'],
  kinds: ['view', 'copy'],
  categories: [],
  undertaking_zh: null,
  signatures: [],
};

function filledAnnex1(): Filing {
  return {
    ...newFiling(annex1),
    applicant_name: '王小明家長',
    national_id: 'A123456789',
    phone: '0912345678',
    relation: '父親',
    unit: '大班',
    cameras: ['cam-01'],
    from: '2026-11-20T09:00',
    to: '2026-11-20T10:00',
    category: 'suspected_improper_treatment',
    reason: '幼兒手臂瘀青，家長請求查看午睡時段',
    signature: '5c'.repeat(32),
  };
}

describe('filing enforces the form description it is given', () => {
  it('names every required field that is empty, and nothing else', () => {
    const errors = validate(annex1, newFiling(annex1));
    const required = annex1.fields.map((f) => f.field).sort();
    expect(Object.keys(errors).filter((k) => k !== 'signature').sort()).toEqual(required);
    expect(errors.signature).toBe('filing.signatureRequired');
    expect(validate(annex1, filledAnnex1())).toEqual({});
  });

  it('leaves an optional field optional', () => {
    const f: Filing = {
      ...newFiling(letter),
      applicant_name: '高雄市政府警察局',
      letter: { number: '高市警刑字第1號', date: '2026-11-20', legal_basis: '刑事訴訟法', purpose: '偵辦', scope: '大門', intended_use: '證據' },
      cameras: ['cam-01'],
      from: '2026-11-20T09:00',
      to: '2026-11-20T10:00',
      reason: '竊盜案',
    };
    f.attachments = [{ kind: 'official_letter', reference: '高市警刑字第1號', blob: null }];
    expect(validate(letter, f)).toEqual({});
    expect(validate(letter, { ...f, attachments: [{ kind: 'official_letter', reference: ' ', blob: null }] })).toEqual({
      attachments: 'filing.attachmentRequired',
    });
  });

  it('refuses a window that ends before it starts, kinds and categories the form does not allow', () => {
    const f = filledAnnex1();
    expect(validate(annex1, { ...f, to: '2026-11-20T08:00' })).toEqual({ window: 'filing.windowOrder' });
    expect(validate(annex1, { ...f, kinds: ['view', 'copy'] })).toEqual({ kinds: 'filing.notAllowed' });
    expect(validate(annex1, { ...f, kinds: [] })).toEqual({ kinds: 'filing.kindRequired' });
    expect(validate(annex1, { ...f, category: 'counter_dispute' })).toEqual({ category: 'filing.notAllowed' });
  });

  it('sends only what the form asks, trimmed, with the form’s minutes', () => {
    const draft = toDraft(annex1, { ...filledAnnex1(), viewer: '不該送出', address: '不該送出', applicant_name: ' 王小明家長 ' });
    expect(draft.applicant_name).toBe('王小明家長');
    expect(draft.viewer).toBeNull();
    expect(draft.address).toBeNull();
    expect(draft.official_letter).toBeNull();
    expect(draft.signature).toBe('5c'.repeat(32));
    expect([draft.from, draft.to]).toEqual(['2026-11-20 09:00', '2026-11-20 10:00']);
    const agency = toDraft(letter, { ...newFiling(letter), letter: { number: ' 高市警刑字第1號 ', date: '2026-11-20', legal_basis: 'a', purpose: 'b', scope: 'c', intended_use: 'd' } });
    expect(agency.official_letter?.number).toBe('高市警刑字第1號');
    expect(agency.category).toBe('other');
    expect(agency.signature, 'an agency signs its own letter').toBeNull();
  });

  it('measures the window in wall-clock minutes', () => {
    expect(windowMinutes({ from: '2026-11-20T09:00', to: '2026-11-20T11:30' })).toBe(150);
    expect(windowMinutes({ from: '', to: '2026-11-20T11:30' })).toBeNull();
  });

  it('has every message it can give in both languages', () => {
    const keys = new Set<string>();
    for (const form of [annex1, letter]) {
      for (const message of Object.values(validate(form, newFiling(form)))) keys.add(message);
    }
    keys.add('filing.windowOrder');
    keys.add('filing.notAllowed');
    keys.add('filing.kindRequired');
    for (const key of keys) {
      expect(zhTW).toHaveProperty([key]);
      expect(en).toHaveProperty([key]);
    }
  });

  it('holds a filed case again as it was typed, to amend it', () => {
    const typed = filledAnnex1();
    const draft = toDraft(annex1, typed);
    const start = Date.UTC(2026, 10, 20, 1, 0); // 09:00 Taipei
    const filed = fromCase(
      {
        id: '01JCUSTOSCASE000000000001', filed_at: start, filed_by: 'p', applicant_kind: draft.applicant_kind,
        applicant_name: draft.applicant_name, relation: draft.relation ?? '', unit: draft.unit ?? '', cameras: draft.cameras,
        window: { start, end: start + 3_600_000 }, reason: draft.reason, category: draft.category, kinds: draft.kinds,
        attachments: [], in_court: false, major_or_abnormal: false, personal_data_digest: 'ab'.repeat(32), viewer: null, official_letter: null,
      },
      { national_id: 'A123456789', phone: '0912345678', address: null, officer_id: null, signature: '5c'.repeat(32), salt: '11'.repeat(32) },
    );
    expect(toDraft(annex1, filed)).toEqual(draft);
  });
});
