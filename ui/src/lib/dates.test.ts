import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, rocYear, taipeiLocalInput } from './dates';

// 2024-09-27 11:05 in Taipei is 03:05 UTC.
const SEPT_27 = Date.UTC(2024, 8, 27, 3, 5);

describe('ROC dates', () => {
  it('prints the 民國 year the forms use', () => {
    expect(formatDate(SEPT_27, 'roc')).toBe('民國113年9月27日');
    expect(rocYear(SEPT_27)).toBe(113);
  });

  it('prints 24-hour times to the minute in Taipei time', () => {
    expect(formatDateTime(SEPT_27, 'roc')).toBe('民國113年9月27日 11:05');
  });

  it('turns the date at Taipei midnight, not UTC midnight', () => {
    const lateUtc = Date.UTC(2024, 8, 27, 16, 30); // 00:30 on the 28th in Taipei
    expect(formatDate(lateUtc, 'roc')).toBe('民國113年9月28日');
  });

  it('offers Gregorian years', () => {
    expect(formatDate(SEPT_27, 'gregorian')).toBe('2024年9月27日');
    expect(formatDate(SEPT_27, 'gregorian', 'en')).toBe('September 27, 2024');
  });

  it('writes a time as a datetime-local input holds it, in Taipei', () => {
    // 2026-11-24 02:00 UTC is 10:00 in Taipei.
    expect(taipeiLocalInput(Date.UTC(2026, 10, 24, 2, 0))).toBe('2026-11-24T10:00');
    expect(taipeiLocalInput(Date.UTC(2026, 10, 24, 16, 5))).toBe('2026-11-25T00:05');
  });
});
