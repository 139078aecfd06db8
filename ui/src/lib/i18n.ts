// Every string the UI shows, in Traditional Chinese first and English second.
// Both catalogues must hold the same keys (checked by i18n.test.ts).

export type Lang = 'zh-TW' | 'en';

export const zhTW = {
  'app.title': 'Custos 監視錄影管理',
  'app.subtitle': '設置區位、檢查日誌、調閱申請與調閱登記簿',
  'home.today': '今天',
  'home.registers': '登記簿',
  'register.site': '設置區位',
  'register.inspections': '檢查及保養紀錄',
  'register.applications': '調閱申請單',
  'register.logbook': '調閱登記簿',
  'register.holds': '保存與銷毀紀錄',
  'home.notEnrolled': '這台裝置尚未向錄影主機註冊。',
  'home.core': '規則核心版本',
  'settings.language': '語言',
  'settings.dateStyle': '日期格式',
  'settings.dateStyle.roc': '民國紀年',
  'settings.dateStyle.gregorian': '西元紀年',
} as const;

export type MessageKey = keyof typeof zhTW;

export const en: Record<MessageKey, string> = {
  'app.title': 'Custos CCTV registers',
  'app.subtitle': 'Cameras, inspection log, access applications and access logbook',
  'home.today': 'Today',
  'home.registers': 'Registers',
  'register.site': 'Site and cameras',
  'register.inspections': 'Inspection and maintenance log',
  'register.applications': 'Access applications',
  'register.logbook': 'Access logbook',
  'register.holds': 'Holds and destruction record',
  'home.notEnrolled': 'This device is not enrolled with a recorder yet.',
  'home.core': 'Rules core version',
  'settings.language': 'Language',
  'settings.dateStyle': 'Date style',
  'settings.dateStyle.roc': 'ROC (民國) years',
  'settings.dateStyle.gregorian': 'Gregorian years',
};

export const catalogues: Record<Lang, Record<MessageKey, string>> = { 'zh-TW': zhTW, en };

export function translate(lang: Lang, key: MessageKey): string {
  return catalogues[lang][key];
}
