// Filing an application, as the screen holds it while the manager types:
// what the form description (from the Rust side, per profile and kind of
// applicant) asks, checked before submitting so each error stands beside
// its field; the rest (a window in the future, an ID's checksum) comes back
// from the command naming its field the same way.

import type {
  AccessKind,
  ApplicantKind,
  ApplicationDraft,
  ApplicationCase,
  ApplicationForm,
  Attachment,
  AttachmentKind,
  CaseField,
  Category,
  PersonalData,
} from './bindings';
import { taipeiLocalInput } from './dates';
import type { MessageKey } from './i18n';

/** What the filing screen holds. Times are `<input type="datetime-local">` values, Taipei time. */
export type Filing = {
  applicant_kind: ApplicantKind;
  applicant_name: string;
  relation: string;
  unit: string;
  viewer: string;
  national_id: string;
  phone: string;
  address: string;
  officer_id: string;
  cameras: string[];
  from: string;
  to: string;
  reason: string;
  category: Category | '';
  kinds: AccessKind[];
  letter: { number: string; date: string; legal_basis: string; purpose: string; scope: string; intended_use: string };
  /** One per kind the form requires, plus any the manager adds. */
  attachments: Attachment[];
  major_or_abnormal: boolean;
  in_court: boolean;
  /** SHA-256 of the applicant's drawn signature under the undertaking, once kept. */
  signature: string | null;
};

/** Where an error is shown: a field of the form, or one of the screen's own groups. */
export type FilingField = CaseField | 'kinds' | 'attachments' | 'signature';
export type FilingErrors = Partial<Record<FilingField, MessageKey>>;

export function newFiling(form: ApplicationForm): Filing {
  return {
    applicant_kind: form.applicant,
    applicant_name: '',
    relation: '',
    unit: '',
    viewer: '',
    national_id: '',
    phone: '',
    address: '',
    officer_id: '',
    cameras: [],
    from: '',
    to: '',
    reason: '',
    category: form.categories.length === 1 ? (form.categories[0] ?? '') : '',
    kinds: ['view'],
    letter: { number: '', date: '', legal_basis: '', purpose: '', scope: '', intended_use: '' },
    attachments: form.required_attachments.map((kind: AttachmentKind) => ({ kind, reference: '', blob: null })),
    major_or_abnormal: false,
    in_court: false,
    signature: null,
  };
}

/** A filed case as the screen holds it again, to amend it. */
export function fromCase(c: ApplicationCase, personal: PersonalData | null): Filing {
  const letter = c.official_letter;
  return {
    applicant_kind: c.applicant_kind,
    applicant_name: c.applicant_name,
    relation: c.relation,
    unit: c.unit,
    viewer: c.viewer ?? '',
    national_id: personal?.national_id ?? '',
    phone: personal?.phone ?? '',
    address: personal?.address ?? '',
    officer_id: personal?.officer_id ?? '',
    cameras: [...c.cameras],
    from: taipeiLocalInput(c.window.start),
    to: taipeiLocalInput(c.window.end),
    reason: c.reason,
    category: c.category,
    kinds: [...c.kinds],
    letter: letter
      ? { ...letter }
      : { number: '', date: '', legal_basis: '', purpose: '', scope: '', intended_use: '' },
    attachments: c.attachments.map((a) => ({ ...a })),
    major_or_abnormal: c.major_or_abnormal,
    in_court: c.in_court,
    signature: personal?.signature ?? null,
  };
}

/** A field's value as typed, for the required check. */
function filled(f: Filing, field: CaseField): boolean {
  const text = (s: string) => s.trim() !== '';
  switch (field) {
    case 'cameras':
      return f.cameras.length > 0;
    case 'window':
      return text(f.from) && text(f.to);
    case 'category':
      return f.category !== '';
    case 'letter_number':
      return text(f.letter.number);
    case 'letter_date':
      return text(f.letter.date);
    case 'legal_basis':
      return text(f.letter.legal_basis);
    case 'purpose':
      return text(f.letter.purpose);
    case 'scope':
      return text(f.letter.scope);
    case 'use':
      return text(f.letter.intended_use);
    default:
      return text(f[field]);
  }
}

/** `YYYY-MM-DDTHH:MM` (datetime-local) as the form takes it: `YYYY-MM-DD HH:MM`. */
export function formMinute(local: string): string {
  return local.replace('T', ' ').slice(0, 16);
}

/** Minutes from `from` to `to` as wall-clock minutes, or null while either is missing. */
export function windowMinutes(f: Pick<Filing, 'from' | 'to'>): number | null {
  if (!f.from || !f.to) return null;
  const minutes = (s: string) => Date.parse(`${formMinute(s).replace(' ', 'T')}:00Z`) / 60_000;
  const span = minutes(f.to) - minutes(f.from);
  return Number.isNaN(span) ? null : span;
}

/** What the form description asks and the filing lacks, by field. */
export function validate(form: ApplicationForm, f: Filing): FilingErrors {
  const errors: FilingErrors = {};
  for (const field of form.fields) {
    if (field.required && !filled(f, field.field)) errors[field.field] = 'filing.required';
  }
  const span = windowMinutes(f);
  if (!errors.window && span !== null && span <= 0) errors.window = 'filing.windowOrder';
  if (form.categories.length > 0 && f.category !== '' && !form.categories.includes(f.category)) {
    errors.category = 'filing.notAllowed';
  }
  if (f.kinds.length === 0) errors.kinds = 'filing.kindRequired';
  else if (f.kinds.some((k) => !form.kinds.includes(k))) errors.kinds = 'filing.notAllowed';
  const missing = form.required_attachments.some(
    (kind) => !f.attachments.some((a) => a.kind === kind && a.reference.trim() !== ''),
  );
  if (missing) errors.attachments = 'filing.attachmentRequired';
  if (applicantSigns(form) && !f.signature) errors.signature = 'filing.signatureRequired';
  return errors;
}

/** Whether the applicant signs this form (every form but an agency's own letter). */
export function applicantSigns(form: ApplicationForm): boolean {
  return form.signatures.some((box) => box.signer.kind === 'applicant');
}

/** The command's draft: only what the form has, trimmed. */
export function toDraft(form: ApplicationForm, f: Filing): ApplicationDraft {
  const has = (field: CaseField) => form.fields.some((x) => x.field === field);
  const text = (field: CaseField, value: string) => (has(field) ? value.trim() : '');
  const optional = (field: CaseField, value: string) => (has(field) && value.trim() !== '' ? value.trim() : null);
  return {
    applicant_kind: f.applicant_kind,
    applicant_name: text('applicant_name', f.applicant_name),
    relation: text('relation', f.relation),
    unit: text('unit', f.unit),
    viewer: optional('viewer', f.viewer),
    national_id: optional('national_id', f.national_id),
    phone: optional('phone', f.phone),
    address: optional('address', f.address),
    officer_id: optional('officer_id', f.officer_id),
    cameras: [...f.cameras],
    from: formMinute(f.from),
    to: formMinute(f.to),
    reason: f.reason.trim(),
    // The Rust side asks a category always; a form that does not list one
    // files the catch-all.
    category: f.category === '' ? 'other' : f.category,
    kinds: [...f.kinds],
    attachments: f.attachments
      .filter((a) => a.reference.trim() !== '')
      .map((a) => ({ kind: a.kind, reference: a.reference.trim(), blob: a.blob })),
    in_court: f.in_court,
    major_or_abnormal: f.major_or_abnormal,
    signature: applicantSigns(form) ? f.signature : null,
    official_letter: has('letter_number')
      ? {
          number: f.letter.number.trim(),
          date: f.letter.date.trim(),
          legal_basis: f.letter.legal_basis.trim(),
          purpose: f.letter.purpose.trim(),
          scope: f.letter.scope.trim(),
          intended_use: f.letter.intended_use.trim(),
        }
      : null,
  };
}
