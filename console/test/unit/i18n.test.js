import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGES, pickLanguage, format } from '../../src/i18n.js';

test('Chinese browsers get Chinese, others English, a stored choice wins', () => {
  assert.equal(pickLanguage(['zh-CN', 'en-US']), 'zh');
  assert.equal(pickLanguage(['zh-TW']), 'zh');
  assert.equal(pickLanguage(['ZH']), 'zh');
  assert.equal(pickLanguage(['en-GB', 'zh-CN']), 'en');
  assert.equal(pickLanguage(['fr-FR', 'zh-CN']), 'zh');
  assert.equal(pickLanguage(['fr-FR']), 'en');
  assert.equal(pickLanguage([]), 'en');
  assert.equal(pickLanguage(undefined), 'en');
  assert.equal(pickLanguage(['zh-CN'], 'en'), 'en');
  assert.equal(pickLanguage(['en'], 'zh'), 'zh');
  assert.equal(pickLanguage(['en'], 'xx'), 'en');
});

test('both languages have the same keys, none empty', () => {
  assert.deepEqual(Object.keys(MESSAGES.zh).sort(), Object.keys(MESSAGES.en).sort());
  for (const lang of Object.keys(MESSAGES)) {
    for (const [key, text] of Object.entries(MESSAGES[lang])) assert.ok(text.length > 0, `${lang}.${key}`);
  }
});

test('placeholders are filled as given and unknown keys fall back', () => {
  assert.equal(format('en', 'cell_count', { shown: 3, total: 60 }), 'Showing 3 of 60 cells');
  assert.equal(format('zh', 'cell_count', { shown: 3, total: 60 }), '显示 3 / 60 个网格');
  assert.equal(format('en', 'cell_code', { code: '<b>{x}</b>' }), 'code <b>{x}</b>');
  assert.equal(format('en', 'no_such_key'), 'no_such_key');
  assert.equal(format('en', 'cell_count', {}), 'Showing {shown} of {total} cells');
});
