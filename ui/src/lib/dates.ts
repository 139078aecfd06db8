// Dates as the forms print them: 民國 years (e.g. 民國113年9月27日) by default,
// Gregorian as an option, 24-hour times to the minute, always in Taipei time.
// ICU does the calendar arithmetic (NOTES.md: checked in Node and WebKitGTK).

export type DateStyle = 'roc' | 'gregorian';

const TIME_ZONE = 'Asia/Taipei';

export function formatDate(ms: number, style: DateStyle, lang: 'zh-TW' | 'en' = 'zh-TW'): string {
  const locale = style === 'roc' ? `${lang === 'en' ? 'zh-TW' : lang}-u-ca-roc` : lang;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: TIME_ZONE }).format(ms);
}

export function formatDateTime(ms: number, style: DateStyle, lang: 'zh-TW' | 'en' = 'zh-TW'): string {
  const locale = style === 'roc' ? `${lang === 'en' ? 'zh-TW' : lang}-u-ca-roc` : lang;
  return new Intl.DateTimeFormat(locale, {
    era: style === 'roc' ? 'long' : undefined,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZone: TIME_ZONE,
  }).format(ms);
}

/** A time of day, 24-hour, in Taipei (a signature box prints it beside the date). */
export function formatTime(ms: number): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: TIME_ZONE }).format(ms);
}

/** A time of day to the second, 24-hour, in Taipei (footage times). */
export function formatSeconds(ms: number): string {
  return new Intl.DateTimeFormat('zh-TW', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: TIME_ZONE }).format(ms);
}

/** The 民國 year of a Taipei calendar date (1912 is 民國1年). */
export function rocYear(ms: number): number {
  const year = Number(
    new Intl.DateTimeFormat('en', { year: 'numeric', timeZone: TIME_ZONE }).format(ms),
  );
  return year - 1911;
}

/** A time as `<input type="datetime-local">` holds it, in Taipei: `YYYY-MM-DDTHH:MM`. */
export function taipeiLocalInput(ms: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
    .formatToParts(ms)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}
