import { describe, expect, it } from 'vitest';
import type { CameraHealth, CameraView } from './api';
import { allClear, faults, newDraft, problems } from './checklist';

const features = { colour: true, full_angle: true, time_overlay: true, audio: false };
const gate: CameraView = { id: 'cam-01', name: '大門', location: '一樓', zone: 'outdoor_public', features: { ...features, audio: true }, audio: true, property_number: null };
const hall: CameraView = { id: 'cam-02', name: '走廊', location: '二樓', zone: 'indoor_public', features, audio: false, property_number: null };

function health(id: string, recording: boolean, black = false, frozen = false, blurred = false): CameraHealth {
  return {
    id,
    name: id,
    location: '',
    index: { recording, last_segment_age_s: 3, bitrate_kbps: 2000, gaps_last_hour: 0, outage_alarm: !recording },
    picture: { black, frozen, blurred, fps: 10, sharpness: blurred ? 8 : 1800, checked_at_ms: 0, segment_start_ms: 0 },
    link_problem: null,
  };
}

describe('the walk-around checklist', () => {
  it('starts all clear, with audio only for cameras that record sound', () => {
    const draft = newDraft([gate, hall]);
    expect(draft.cameras['cam-01']!.audio_ok).toBe(true);
    expect(draft.cameras['cam-02']!.audio_ok).toBeNull();
    expect(faults(draft)).toEqual([]);
    expect(problems(draft, [gate, hall])).toEqual([]);
  });

  it('takes the recorder’s measurements as faults to confirm', () => {
    const draft = newDraft([gate, hall], [health('cam-01', false), health('cam-02', true, true)]);
    expect(faults(draft)).toEqual([
      { camera: 'cam-01', kind: 'not_running' },
      { camera: 'cam-02', kind: 'picture' },
    ]);
    const fogged = newDraft([hall], [health('cam-02', true, false, false, true)]);
    expect(faults(fogged)).toEqual([{ camera: 'cam-02', kind: 'picture' }]);
  });

  it('asks how a fault is handled (處理情形) before it can be recorded', () => {
    const draft = newDraft([gate, hall]);
    draft.cameras['cam-02']!.time_correct = false;
    expect(problems(draft, [gate, hall])).toEqual([{ key: 'check.problem.handling' }]);
    draft.handling = '已校正主機時間';
    expect(problems(draft, [gate, hall])).toEqual([]);
  });

  it('refuses a camera left out, an unknown one, and audio on a silent camera', () => {
    const draft = newDraft([gate]);
    draft.cameras['cam-99'] = allClear(hall);
    draft.cameras['cam-99'].audio_ok = true;
    expect(problems(draft, [gate, hall])).toEqual([
      { key: 'check.problem.unchecked', camera: 'cam-02' },
      { key: 'check.problem.unknownCamera', camera: 'cam-99' },
    ]);
    const silent = newDraft([hall]);
    silent.cameras['cam-02']!.audio_ok = true;
    expect(problems(silent, [hall])).toEqual([{ key: 'check.problem.audio', camera: 'cam-02' }]);
  });

  it('counts a host fault without a camera', () => {
    const draft = newDraft([hall]);
    draft.host_ok = false;
    expect(faults(draft)).toEqual([{ camera: null, kind: 'host' }]);
  });
});
