import { describe, expect, it } from 'vitest';
import { catalogues, en, zhTW } from './i18n';

describe('i18n catalogue', () => {
  it('has every key in both languages, none empty', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhTW).sort());
    for (const catalogue of Object.values(catalogues)) {
      for (const [key, text] of Object.entries(catalogue)) {
        expect(text.trim(), key).not.toBe('');
      }
    }
  });

  it('speaks Traditional Chinese in the default catalogue', () => {
    expect(zhTW['register.logbook']).toBe('調閱登記簿');
    // Simplified forms that must never appear: 视 (視), 录 (錄), 调 (調).
    for (const text of Object.values(zhTW)) expect(text).not.toMatch(/[视录调阅]/);
  });
});
