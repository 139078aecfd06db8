// Every call into the app's Rust side goes through this module, typed.
import { invoke } from '@tauri-apps/api/core';

export interface AppInfo {
  version: string;
  coreVersion: string;
  profiles: string[];
}

/** True inside the Tauri shell; false in a plain browser (tests, design work). */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

export async function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>('app_info');
}
