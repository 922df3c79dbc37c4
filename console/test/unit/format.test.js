import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTime, percent, catalogName, parseDate, dateInput } from '../../src/format.js';
import { actionsFor, actionBody } from '../../src/actions.js';

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

test('actions follow the workflow statuses', () => {
  assert.deepEqual(actionsFor('reported'), ['register', 'cancel']);
  assert.deepEqual(actionsFor('registered'), ['cancel', 'dispatch', 'suspend']);
  assert.deepEqual(actionsFor('suspended'), ['cancel', 'resume']);
  assert.deepEqual(actionsFor('closed'), ['reopen']);
  assert.deepEqual(actionBody('dispatch', { department: 'water', note: ' ' }), { action: 'dispatch', department: 'water' });
  assert.deepEqual(actionBody('cancel', { note: ' duplicate ', department: 'water' }), { action: 'cancel', note: 'duplicate' });
});
