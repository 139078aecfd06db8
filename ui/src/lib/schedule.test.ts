import { describe, expect, it } from 'vitest';
import { checkDue, taipeiDay } from './schedule';

// 2026-11-24 23:30 Taipei is 15:30 UTC.
const lateTuesday = Date.UTC(2026, 10, 24, 15, 30);
const hour = 3_600_000;

describe('when the check is due', () => {
  it('counts days on the Taipei calendar', () => {
    expect(taipeiDay(lateTuesday + hour)).toBe(taipeiDay(lateTuesday) + 1);
  });

  it('daily: done today, due again after Taipei midnight', () => {
    expect(checkDue(lateTuesday - hour, lateTuesday, 1)).toEqual({ state: 'done' });
    expect(checkDue(lateTuesday - hour, lateTuesday + hour, 1)).toEqual({ state: 'due' });
  });

  it('weekly: done for seven calendar days', () => {
    expect(checkDue(lateTuesday, lateTuesday + 6 * 24 * hour, 7)).toEqual({ state: 'done' });
    expect(checkDue(lateTuesday, lateTuesday + 7 * 24 * hour, 7)).toEqual({ state: 'due' });
  });

  it('never checked is due; no schedule is never due', () => {
    expect(checkDue(null, lateTuesday, 7)).toEqual({ state: 'due' });
    expect(checkDue(null, lateTuesday, null)).toEqual({ state: 'unscheduled' });
  });
});
