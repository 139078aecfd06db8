import { describe, expect, it } from 'vitest';
import { auditAlarmInWords, catalogues, en, refusalInWords, sealProblemInWords, translate, zhTW } from './i18n';

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

describe('a recorder refusal in words', () => {
  const t = (k: Parameters<typeof translate>[1]) => translate('zh-TW', k);
  it('says a known refusal in the screen language, the recorder words after it', () => {
    const said = refusalInWords('Already exported: this application has had its one copy', [['Already exported', 'export.refused.exported']], t);
    expect(said).toBe('本申請已複製過一次，不得再複製（Already exported: this application has had its one copy）');
  });
  it('leaves an unknown one as the recorder said it', () => {
    expect(refusalInWords('Disk full: no space', [['Already exported', 'export.refused.exported']], t)).toBe('Disk full: no space');
  });
});

describe('the audit review in the reader\'s language', () => {
  const t = (key: Parameters<typeof translate>[1]) => translate('zh-TW', key);
  it('says why a countersignature does not count from its code', () => {
    expect(sealProblemInWords('role_not_allowed', 'the signer did not hold a role allowed to seal this: manager', t)).toBe('簽署人不具可核章此紀錄的角色');
  });
  it('says the alarm from its code, with the rows the device named', () => {
    const words = 'the recorder now shows an audit trail of 5 rows, smaller than the 25 rows this device countersigned: rows were removed';
    expect(auditAlarmInWords('smaller', words, t)).toBe(`錄影主機現在的稽核軌跡比本裝置副署時短：有紀錄被刪除（${words}）`);
  });
  it('keeps the words of a review an older build made, which has no code', () => {
    expect(sealProblemInWords(null, 'the signature is not valid', t)).toBe('the signature is not valid');
    expect(auditAlarmInWords(undefined, 'rewritten', t)).toBe('rewritten');
  });
});
