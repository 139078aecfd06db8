// Whether the walk-around check is due, at the frequency the site's profile
// sets: daily (萬華 004 §6), every so many days (高雄 001 §8(1) 定期, weekly
// unless the site decides otherwise), or no schedule (大湖 002 隨時).

const DAY_MS = 86_400_000;
const TAIPEI_OFFSET_MS = 8 * 3_600_000;

/** The Taipei calendar day of an instant, as a day number. */
export function taipeiDay(ms: number): number {
  return Math.floor((ms + TAIPEI_OFFSET_MS) / DAY_MS);
}

export type Due = { state: 'done' } | { state: 'due' } | { state: 'unscheduled' };

/**
 * Due when no check was recorded in the current period: today for a daily
 * check, the last `everyDays` calendar days otherwise.
 */
export function checkDue(lastCheckMs: number | null, nowMs: number, everyDays: number | null): Due {
  if (everyDays === null) return { state: 'unscheduled' };
  if (lastCheckMs === null) return { state: 'due' };
  const age = taipeiDay(nowMs) - taipeiDay(lastCheckMs);
  return age < Math.max(1, everyDays) ? { state: 'done' } : { state: 'due' };
}
