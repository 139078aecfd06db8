// Applications as the lists and the case page show them. Everything that
// decides (the status, whose turn it is, which decisions count) comes
// derived from the Rust side; this only sorts and names it.

import type { ApplicationView, DecisionEvent, Role, Status, StepView } from './bindings';
import type { MessageKey } from './i18n';

/** What awaits this person's step first, then the rest, newest first within each. */
export function byUrgency(views: ApplicationView[]): { mine: ApplicationView[]; others: ApplicationView[] } {
  const newest = (a: ApplicationView, b: ApplicationView) => b.case.filed_at - a.case.filed_at;
  return {
    mine: views.filter((v) => v.turn !== null).sort(newest),
    others: views.filter((v) => v.turn === null).sort(newest),
  };
}

export function statusKey(status: Status): MessageKey {
  return `status.${status.state}`;
}

export function roleKey(role: Role): MessageKey {
  return `role.${role}`;
}

/** The case's signed events in the order they were signed (as their devices' clocks say; shown, never used to decide). */
export function history(view: ApplicationView): DecisionEvent[] {
  return Object.values(view.decisions).sort((a, b) => a.signed_at - b.signed_at || a.id.localeCompare(b.id));
}

/** The committee roles that have not voted yet on a step. */
export function stillToVote(step: StepView, voterRoles: Role[]): Role[] {
  return step.progress.roles.filter((r) => !voterRoles.includes(r));
}

/** Whether a decision needs a reason before it can be signed (a rejection, a withdrawal, a vote against). */
export function needsReason(kind: 'approve' | 'reject' | 'withdraw' | 'for' | 'against'): boolean {
  return kind === 'reject' || kind === 'withdraw' || kind === 'against';
}
