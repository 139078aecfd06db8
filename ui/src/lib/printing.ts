// What an application's paper form prints in each field and each
// signature box, from the case, its personal data (where this device holds
// it) and the signed events that count (derived in Rust).

import type { ApplicationCase, ApplicationForm, ApplicationView, CameraView, CaseField, DecisionEvent, PersonalData } from './bindings';
import { formatDateTime, type DateStyle } from './dates';
import type { Lang, MessageKey } from './i18n';

export type PrintedBox = {
  label_zh: string;
  label_en: string;
  /** The applicant's own box (their drawn signature). */
  applicant: boolean;
  /** The signed approval that counts for this step, if any. */
  event: DecisionEvent | null;
};

export type PrintedCommittee = {
  label_zh: string;
  label_en: string;
  /** The votes that count, in the order they were signed. */
  votes: DecisionEvent[];
  votesFor: number;
  votesAgainst: number;
};

/** The form's boxes filled from the events that count; committees go to the annex. */
export function printedBoxes(view: ApplicationView, form: ApplicationForm): { signed: PrintedBox[]; committees: PrintedCommittee[] } {
  const counted = Object.values(view.decisions)
    .filter((e) => !view.ignored[e.id])
    .sort((a, b) => a.signed_at - b.signed_at || a.id.localeCompare(b.id));
  const signed: PrintedBox[] = [];
  const committees: PrintedCommittee[] = [];
  for (const box of form.signatures) {
    if (box.signer.kind === 'applicant') {
      signed.push({ label_zh: box.label_zh, label_en: box.label_en, applicant: true, event: null });
      continue;
    }
    const step = view.steps[box.signer.step];
    if (box.committee) {
      const votes = counted.filter((e) => e.decision.kind === 'vote' && box.roles.includes(e.role));
      committees.push({
        label_zh: box.label_zh,
        label_en: box.label_en,
        votes,
        votesFor: step?.progress.votes_for ?? 0,
        votesAgainst: step?.progress.votes_against ?? 0,
      });
      continue;
    }
    const signer = step?.progress.signers[0];
    const event =
      counted.find((e) => e.signer === signer && e.decision.kind === 'approve' && box.roles.includes(e.role)) ??
      // A rejection signed in this step's role is what its box shows.
      counted.find((e) => e.decision.kind === 'reject' && box.roles.includes(e.role)) ??
      null;
    signed.push({ label_zh: box.label_zh, label_en: box.label_en, applicant: false, event });
  }
  return { signed, committees };
}

/** A field's printed value. */
export function fieldValue(
  field: CaseField,
  c: ApplicationCase,
  personal: PersonalData | null,
  cameras: CameraView[],
  t: (key: MessageKey) => string,
  style: DateStyle,
  lang: Lang,
): string {
  const letter = c.official_letter;
  switch (field) {
    case 'applicant_name':
      return c.applicant_name;
    case 'national_id':
      return personal?.national_id ?? '';
    case 'phone':
      return personal?.phone ?? '';
    case 'address':
      return personal?.address ?? '';
    case 'officer_id':
      return personal?.officer_id ?? '';
    case 'relation':
      return c.relation;
    case 'unit':
      return c.unit;
    case 'viewer':
      return c.viewer ?? '';
    case 'cameras':
      return c.cameras
        .map((id) => {
          const cam = cameras.find((x) => x.id === id);
          return cam ? `${cam.name}（${cam.location}）` : id;
        })
        .join('、');
    case 'window':
      return `${formatDateTime(c.window.start, style, lang)} ${t('print.until')} ${formatDateTime(c.window.end, style, lang)}`;
    case 'reason':
      return c.reason;
    case 'category':
      return t(`category.${c.category}`);
    case 'letter_number':
      return letter?.number ?? '';
    case 'letter_date':
      return letter?.date ?? '';
    case 'legal_basis':
      return letter?.legal_basis ?? '';
    case 'purpose':
      return letter?.purpose ?? '';
    case 'scope':
      return letter?.scope ?? '';
    case 'use':
      return letter?.intended_use ?? '';
  }
}
