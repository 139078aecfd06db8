// The app's state, shared by every view: who this device is, what the
// recorder last said, and the person's settings. Reactive (Svelte 5 runes).

import * as api from './api';
import type { DateStyle } from './dates';
import { translate, type Lang, type MessageKey } from './i18n';

export type View = 'home' | 'check' | 'repairs' | 'log' | 'applications' | 'case' | 'print' | 'file' | 'holds' | 'oversight' | 'locations' | 'viewing' | 'logbook' | 'settings';

const SETTINGS_KEY = 'custos.settings';

function taipeiYearMonth(ms: number): { year: number; month: number } {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Taipei', year: 'numeric', month: 'numeric' })
    .formatToParts(ms)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return { year: Number(parts.year), month: Number(parts.month) };
}

class AppState {
  lang: Lang = $state('zh-TW');
  dateStyle: DateStyle = $state('roc');
  view: View = $state('home');
  device: api.DeviceInfo | null = $state(null);
  status: api.SyncStatus | null = $state(null);
  /** Progress of the round under way, if any. */
  progress: { stage: string; done: number; total: number } | null = $state(null);
  /** Whether the last round reached the recorder; null before the first. */
  online: boolean | null = $state(null);
  lastSyncedAt: number | null = $state(null);
  site: api.SiteView | null = $state(null);
  month: api.MonthView | null = $state(null);
  health: api.SiteHealth | null = $state(null);
  /** The applications this device holds (for roles that receive them), newest first. */
  applications: api.ApplicationView[] = $state([]);
  /** The recorder's notices in the holds document (a hold about to lapse), for whom renews holds. */
  holdNotices: api.RecorderAlarm[] = $state([]);
  /** The audit trail as this device last checked it (head, delegate, ethics office). */
  audit: api.AuditReview | null = $state(null);
  /** The application the case page shows. */
  caseId: string | null = $state(null);
  /** The application whose viewing the escort's screen opens. */
  viewingCase: string | null = $state(null);
  /** The application the filing screen amends; null: a new one. */
  amending: string | null = $state(null);
  error: string | null = $state(null);

  t = (key: MessageKey): string => translate(this.lang, key);

  constructor() {
    try {
      const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}');
      if (saved.lang === 'en' || saved.lang === 'zh-TW') this.lang = saved.lang;
      if (saved.dateStyle === 'roc' || saved.dateStyle === 'gregorian') this.dateStyle = saved.dateStyle;
    } catch {
      // No saved settings: the defaults stand.
    }
  }

  saveSettings() {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify({ lang: this.lang, dateStyle: this.dateStyle }));
  }

  get enrolled(): boolean {
    return !!this.device?.enrollment;
  }

  /** Loads everything the views show from the app's store (works offline). */
  async load() {
    this.device = await api.deviceInfo();
    if (!this.enrolled) return;
    this.status = await api.syncStatus();
    this.applyEvent(this.status.last);
    await this.loadRegisters();
  }

  async loadRegisters() {
    try {
      this.site = await api.site();
    } catch (e) {
      if (!(api.isCommandError(e) && e.kind === 'no_site')) throw e;
      this.site = null;
    }
    const { year, month } = taipeiYearMonth(Date.now());
    this.month = await api.inspectionMonth(year, month);
    this.applications = this.site?.reads_applications ? await api.applications() : [];
    this.audit = this.site?.reads_audit ? await api.auditReview() : null;
    this.holdNotices = this.site?.may_release_holds
      ? Object.values((await api.holds()).notices).filter((n) => n.ended_at === null)
      : [];
  }

  /** The application the case page shows, as last loaded. */
  get openCase(): api.ApplicationView | null {
    return this.applications.find((a) => a.case.id === this.caseId) ?? null;
  }

  showCase(id: string) {
    this.caseId = id;
    this.view = 'case';
  }

  /** The escort's screen for the one viewing of an approved application. */
  startViewing(id: string) {
    this.viewingCase = id;
    this.view = 'viewing';
  }

  /** The recorder's measurements, when online; quietly none when not. */
  async loadHealth() {
    try {
      this.health = await api.cameraHealth();
    } catch {
      this.health = null;
    }
  }

  applyEvent(event: api.SyncEvent | null) {
    if (!event) return;
    switch (event.state) {
      case 'syncing':
        this.progress = { stage: event.stage, done: event.done, total: event.total };
        break;
      case 'synced':
        this.progress = null;
        this.online = true;
        this.lastSyncedAt = event.at_ms;
        break;
      case 'offline':
        this.progress = null;
        this.online = false;
        break;
      case 'failed':
      case 'refused':
      case 'audit_alarm':
        this.progress = null;
        break;
    }
  }

  /** A sync event from the Rust side: progress at once, the rest reloaded. */
  async onSync(event: api.SyncEvent) {
    this.applyEvent(event);
    if (event.state !== 'syncing') {
      this.status = await api.syncStatus();
      await this.loadRegisters();
    }
  }

  async syncNow() {
    const event = await api.syncNow();
    await this.onSync(event);
  }

  async dismiss(hash: string) {
    await api.dismissRefused(hash);
    this.status = await api.syncStatus();
  }

  // Actions: each makes one edit through the Rust side and refreshes what
  // it changed (the month's log, and what waits for the recorder), so a
  // view never refreshes by hand.

  /** Records a walk-around check; the repairs it opens are in the log at once. */
  async recordCheck(draft: api.CheckDraft): Promise<api.RecordedCheck> {
    const recorded = await api.recordCheck(draft);
    await this.afterEdit();
    return recorded;
  }

  /** Closes an open repair of the month `year`-`month`. */
  async closeRepair(year: number, month: number, repair: string, note: string, photos: string[]) {
    await api.closeRepair(year, month, repair, note, photos);
    await this.afterEdit();
  }

  /** 核章: countersigns a check of the month `year`-`month`. */
  async countersign(year: number, month: number, entry: string) {
    await api.countersignCheck(year, month, entry);
    await this.afterEdit();
  }

  /** Files an application; the case page then shows it, awaiting its first step. */
  async fileApplication(draft: api.ApplicationDraft): Promise<string> {
    const id = await api.fileApplication(draft);
    await this.afterEdit();
    this.showCase(id);
    return id;
  }

  /** Amends an application in review; the decisions signed on its old text stop counting. */
  async amendApplication(application: string, draft: api.ApplicationDraft) {
    await api.amendApplication(application, draft);
    await this.afterEdit();
    this.showCase(application);
  }

  /** Opens the filing screen for a new application, or to amend `application`. */
  startFiling(application: string | null = null) {
    this.amending = application;
    this.view = 'file';
  }

  /** The head releases a hold on footage, with the reason (signed). */
  async releaseHold(hold: string, reason: string) {
    await api.releaseHold(hold, reason);
    await this.afterEdit();
  }

  async renewHold(hold: string, legalBasis: string) {
    await api.renewHold(hold, legalBasis);
    await this.afterEdit();
  }

  /** Signs a decision on an application with this device's key, acting in `role`. */
  async decide(application: string, role: api.Role, decision: api.DecisionRequest) {
    await api.decide(application, role, decision);
    await this.afterEdit();
  }

  private async afterEdit() {
    await this.loadRegisters();
    this.status = await api.syncStatus();
  }

  currentMonth() {
    return taipeiYearMonth(Date.now());
  }
}

export const app = new AppState();
