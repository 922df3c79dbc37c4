import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTime, percent, catalogName, parseDate, dateInput } from '../../src/format.js';
import { actionsFor, actionBody, mayResolveConflicts, photoRef } from '../../src/actions.js';

test('times show in the city time zone, not the browser one', () => {
  // 2026-01-01 16:30 UTC is 2026-01-02 00:30 in UTC+8.
  const ms = Date.UTC(2026, 0, 1, 16, 30);
  assert.equal(formatTime(ms, 480), '2026-01-02 00:30');
  assert.equal(formatTime(ms, 0), '2026-01-01 16:30');
  assert.equal(formatTime(null, 480), '');
  assert.equal(parseDate('2026-01-02', 480), Date.UTC(2026, 0, 1, 16, 0));
  assert.equal(dateInput(parseDate('2026-03-05', 480), 480), '2026-03-05');
  assert.ok(Number.isNaN(parseDate('2026-1-2', 480)));
});

test('rates are percentages, null is a dash', () => {
  assert.equal(percent(0.5), '50.0%');
  assert.equal(percent(2 / 3), '66.7%');
  assert.equal(percent(null), '—');
});

test('catalogue names follow the language and fall back to the code', () => {
  const cats = [{ code: '06010', name_zh: '暴露垃圾', name_en: 'Exposed rubbish' }];
  assert.equal(catalogName(cats, 'code', '06010', 'zh'), '暴露垃圾');
  assert.equal(catalogName(cats, 'code', '06010', 'en'), 'Exposed rubbish');
  assert.equal(catalogName(cats, 'code', '99999', 'en'), '99999');
});

test('the actions offered are the server\'s permitted_actions, less the on-site steps', () => {
  assert.deepEqual(actionsFor({ status: 'reported', permitted_actions: ['register', 'cancel', 'check'] }), ['register', 'cancel', 'check']);
  // Nothing is guessed from the status: no list, no actions.
  assert.deepEqual(actionsFor({ status: 'reported' }), []);
  assert.deepEqual(actionsFor({ permitted_actions: ['verify_pass', 'handle', 'resolve_conflict', 'self_resolve'] }), ['handle']);
  assert.equal(mayResolveConflicts({ permitted_actions: ['resolve_conflict'] }), true);
  assert.equal(mayResolveConflicts({ permitted_actions: ['register'] }), false);
  assert.deepEqual(actionBody('postpone', { note: 'parts', extendHours: '8' }), { action: 'postpone', note: 'parts', extend: { value: 8, unit: 'working_hours' } });
  assert.deepEqual(actionBody('postpone', { note: 'parts', extendHours: '' }), { action: 'postpone', note: 'parts' });
  assert.deepEqual(actionBody('dispatch', { department: '' }), { action: 'dispatch' });
  const photo = { sha256: 'a'.repeat(64), size: 3, mime: 'image/jpeg' };
  assert.deepEqual(actionBody('handle', { photos: [photo] }), { action: 'handle', photos: [photo] });
  assert.deepEqual(actionBody('sign', { photos: [photo] }), { action: 'sign' });
  assert.deepEqual(actionBody('dispatch', { department: 'water', note: ' ' }), { action: 'dispatch', department: 'water' });
  assert.deepEqual(actionBody('cancel', { note: ' duplicate ', department: 'water' }), { action: 'cancel', note: 'duplicate' });
});

test('a photo is named by its SHA-256', async () => {
  const ref = await photoRef(new Blob(['abc'], { type: 'image/png' }));
  assert.deepEqual(ref, { sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', size: 3, mime: 'image/png' });
});
