// The console's texts in Chinese and English. Chinese is the default for a browser whose
// preferred languages put Chinese before English (navigator.languages); a switch in the
// header changes it, and the choice is kept in localStorage. Elements carrying
// `data-i18n="key"` get the text of `key` (as text, never markup); `data-i18n-label`
// and `data-i18n-title` set aria-label and title.

export const MESSAGES = {
  zh: {
    app_title: '网格化管理 · 监督台',
    skip_to_map: '跳到地图',
    language_switch: 'English',
    language_switch_label: 'Switch to English',
    sign_in_title: '登录',
    user: '用户名',
    password: '密码',
    sign_in: '登录',
    signing_in: '正在登录…',
    sign_out: '退出登录',
    signed_in_as: '{user} · {role} · 范围 {scope}',
    role_worker: '网格员',
    role_supervisor: '监督员',
    role_handler: '处置人员',
    scope_all: '全部',
    session_expired: '会话已失效，请重新登录。',
    wrong_credentials: '用户名或密码错误。',
    network_error: '无法连接服务器：{message}',
    server_error: '服务器拒绝了请求（{code}）：{message}',
    cells: '网格',
    cell_filter: '筛选网格（名称或编码）',
    cell_filter_placeholder: '名称或编码',
    cell_count: '显示 {shown} / {total} 个网格',
    no_grid: '服务器上还没有导入城市网格。',
    loading: '正在加载…',
    gcj02: 'GCJ-02 显示',
    gcj02_hint: '按 GCJ-02（高德、腾讯地图）偏移显示；数据始终以 WGS-84 保存',
    base_map: '底图',
    map_label: '网格地图',
    zoom_in: '放大',
    zoom_out: '缩小',
    cell_code: '编码 {code}',
    shortcuts: '键盘快捷键',
    shortcuts_button: '快捷键',
    close: '关闭',
    key_filter: '筛选网格',
    key_map: '聚焦地图（方向键平移，+/− 缩放）',
    key_gcj02: '切换 GCJ-02 显示',
    key_base_map: '显示或隐藏底图',
    key_language: '切换语言',
    key_help: '显示快捷键',
    key_escape: '关闭对话框 / 清空筛选',
    datum_wgs84: '坐标：WGS-84',
    datum_gcj02: '坐标：GCJ-02',
  },
  en: {
    app_title: 'Grid management · Supervisor console',
    skip_to_map: 'Skip to the map',
    language_switch: '中文',
    language_switch_label: '切换到中文',
    sign_in_title: 'Sign in',
    user: 'User name',
    password: 'Password',
    sign_in: 'Sign in',
    signing_in: 'Signing in…',
    sign_out: 'Sign out',
    signed_in_as: '{user} · {role} · scope {scope}',
    role_worker: 'grid worker',
    role_supervisor: 'supervisor',
    role_handler: 'handler',
    scope_all: 'all',
    session_expired: 'Your session has ended. Please sign in again.',
    wrong_credentials: 'Wrong user name or password.',
    network_error: 'Cannot reach the server: {message}',
    server_error: 'The server refused ({code}): {message}',
    cells: 'Cells',
    cell_filter: 'Filter cells (name or code)',
    cell_filter_placeholder: 'Name or code',
    cell_count: 'Showing {shown} of {total} cells',
    no_grid: 'No city grid has been imported on the server yet.',
    loading: 'Loading…',
    gcj02: 'GCJ-02 display',
    gcj02_hint: 'Draw with the GCJ-02 offset (AMap, Tencent maps); data stays WGS-84',
    base_map: 'Base map',
    map_label: 'Grid map',
    zoom_in: 'Zoom in',
    zoom_out: 'Zoom out',
    cell_code: 'code {code}',
    shortcuts: 'Keyboard shortcuts',
    shortcuts_button: 'Shortcuts',
    close: 'Close',
    key_filter: 'Filter the cells',
    key_map: 'Focus the map (arrow keys pan, +/− zoom)',
    key_gcj02: 'Toggle the GCJ-02 display',
    key_base_map: 'Show or hide the base map',
    key_language: 'Switch language',
    key_help: 'Show the shortcuts',
    key_escape: 'Close the dialog / clear the filter',
    datum_wgs84: 'Datum: WGS-84',
    datum_gcj02: 'Datum: GCJ-02',
  },
};

const LANG_KEY = 'gridwork.console.lang';
const HTML_LANG = { zh: 'zh-CN', en: 'en' };

/** The language to start in: a stored choice, else the first of `preferred` we speak, else English. */
export function pickLanguage(preferred, stored) {
  if (stored && Object.hasOwn(MESSAGES, stored)) return stored;
  for (const tag of preferred || []) {
    const primary = String(tag).toLowerCase().split('-')[0];
    if (Object.hasOwn(MESSAGES, primary)) return primary;
  }
  return 'en';
}

/** Text of `key` in `lang` with `{name}` placeholders filled from `vars`. */
export function format(lang, key, vars = {}) {
  const text = MESSAGES[lang]?.[key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (Object.hasOwn(vars, name) ? String(vars[name]) : m));
}

let current = 'en';
const listeners = [];

/** The current language. */
export function language() {
  return current;
}

/** Text of `key` in the current language. */
export function t(key, vars) {
  return format(current, key, vars);
}

/** Calls `fn` after every language change. */
export function onLanguageChange(fn) {
  listeners.push(fn);
}

/** Fills every `data-i18n*` element under `root`. */
export function translate(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
  for (const node of root.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
}

function storage() {
  try {
    return globalThis.localStorage;
  } catch {
    return null;
  }
}

/** Switches to `lang` (kept for next time), retranslates the page and tells the listeners. */
export function setLanguage(lang, { remember = true } = {}) {
  current = Object.hasOwn(MESSAGES, lang) ? lang : 'en';
  if (remember) {
    try {
      storage()?.setItem(LANG_KEY, current);
    } catch {
      // Not kept; fine.
    }
  }
  document.documentElement.lang = HTML_LANG[current];
  document.title = t('app_title');
  translate();
  for (const fn of listeners) fn(current);
}

/** Starts in the stored or the browser's language. */
export function initLanguage() {
  let stored = null;
  try {
    stored = storage()?.getItem(LANG_KEY) ?? null;
  } catch {
    stored = null;
  }
  setLanguage(pickLanguage(globalThis.navigator?.languages ?? [globalThis.navigator?.language], stored), { remember: false });
}
