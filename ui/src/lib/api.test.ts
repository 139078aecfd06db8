// The screens reach exactly the commands the Rust side registers: every
// generated command has its name here, and nothing else is a command.
import { describe, expect, it } from 'vitest';
import * as api from './api';
import { commands } from './bindings';

describe('api', () => {
  it('names every registered command, once, and no other', () => {
    expect(Object.keys(api.byCommand).sort()).toEqual(Object.keys(commands).sort());
  });

  it('exports each command under one camelCase name and nothing else as a call', () => {
    // fetchFrame and fetchStrip are no commands: frames come over the app's custosframe scheme.
    const helpers = new Set(['byCommand', 'isCommandError', 'errorMessage', 'inTauri', 'onSync', 'fetchFrame', 'fetchStrip']);
    const exported = Object.entries(api)
      .filter(([name, value]) => typeof value === 'function' && !helpers.has(name))
      .map(([name]) => name)
      .sort();
    const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    expect(exported).toEqual(Object.keys(commands).map(camel).sort());
  });

  it('tells a person what a failed call said', () => {
    expect(api.errorMessage({ kind: 'offline', message: 'the recorder cannot be reached' })).toBe(
      'the recorder cannot be reached',
    );
    expect(api.errorMessage(new Error('boom'))).toBe('Error: boom');
  });
});
