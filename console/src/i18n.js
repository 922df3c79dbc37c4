// The console's texts in Chinese and English. Chinese is the default for a browser whose
// preferred languages put Chinese before English (navigator.languages); a switch in the
// header changes it, and the choice is kept in localStorage. Elements carrying
// `data-i18n="key"` get the text of `key` (as text, never markup); `data-i18n-label`
// and `data-i18n-title` set aria-label and title.

import { POSTS_MESSAGES } from './i18n-posts.js';

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
    cluster_title: '{count} 件案件（未结 {open}，超期 {overdue}）：点击放大',
    shortcuts: '键盘快捷键',
    shortcuts_button: '快捷键',
    close: '关闭',
    key_filter: '筛选网格',
    key_map: '聚焦地图（方向键平移，+/− 缩放）',
    key_gcj02: '切换 GCJ-02 显示',
    key_base_map: '显示或隐藏底图',
    key_language: '切换语言',
    key_help: '显示快捷键',
    datum_wgs84: '坐标：WGS-84',
    datum_gcj02: '坐标：GCJ-02',
    supervisors_only: '只有监督员可以在监督台上操作案件。',
    kind_reported: '上报',
    kind_registered: '立案',
    kind_cancelled: '作废',
    kind_dispatched: '派遣',
    kind_handled: '处置反馈',
    kind_verified: '核查通过',
    kind_verification_failed: '核查未通过',
    kind_closed: '结案',
    kind_returned: '回退',
    kind_postponed: '延期',
    kind_suspended: '挂起',
    kind_resumed: '恢复',
    kind_reopened: '重新打开',
    kind_self_resolved: '自行处置',
    queue: '审核队列',
    queue_reported: '待立案',
    queue_handled: '待核查',
    queue_overdue: '超期',
    queue_conflicts: '冲突',
    queue_count: '{n} 件',
    queue_empty: '没有案件。',
    conflicts: '冲突',
    conflict_note: '处理说明',
    resolve_conflict: '处理冲突',
    conflict_resolved_by: '已由 {user} 于 {time} 处理',
    kind_conflict_resolved: '冲突已处理',
    health: '同步状况',
    health_device: '设备',
    health_user: '用户',
    health_last_contact: '最后联系',
    health_client: '客户端',
    health_events_waiting: '待上传事件',
    health_photos_waiting: '待上传照片',
    health_rejected_events: '被拒事件',
    health_photos_missing: '缺失照片',
    health_never: '从未',
    health_flagged: '历史被改写',
    health_stale_hours: '超过几小时未联系',
    health_chart: '各设备的同步问题',
    health_count: '{n} 台设备',
    health_empty: '没有设备',
    more: '加载更多',
    overdue: '已超期',
    deadline_at: '期限 {time}',
    no_cell: '不在任何网格内',
    conflict_n: '冲突 {n}',
    status_reported: '已上报',
    status_registered: '已立案',
    status_dispatched: '已派遣',
    status_handled: '已处置',
    status_verified: '已核查',
    status_suspended: '已挂起',
    status_closed: '已结案',
    status_cancelled: '已作废',
    status: '状态',
    category: '类别',
    description: '描述',
    address: '地址',
    cell: '网格',
    claimed_cell: '设备上报的网格',
    point: '位置（WGS-84）',
    reporter: '上报人',
    received: '服务器接收时间',
    department: '部门',
    deadline: '处置期限（服务器）',
    device_deadline: '处置期限（设备）',
    case_title: '案件 · {category}',
    actions: '操作',
    photos: '照片',
    timeline: '时间线',
    no_photos: '没有照片。',
    photo_alt: '案件照片 {sha}',
    no_actions: '此状态下没有监督员可做的操作。',
    registration_condition: '立案条件',
    closing_condition: '结案条件',
    device_vs_received: '设备时间 {device} · 接收 {received}',
    conflict_reason: '冲突：{reason}',
    note_or_reason: '备注或理由',
    reason_needed: '此操作需要填写理由。',
    refused: '服务器拒绝：{message}',
    action_register: '立案',
    action_cancel: '作废',
    action_dispatch: '派遣',
    action_close: '结案',
    action_return: '回退',
    action_postpone: '延期',
    action_suspend: '挂起',
    action_resume: '恢复',
    action_reopen: '重新打开',
    evaluation: '综合评价',
    period_from: '从',
    period_to: '到',
    group_by: '分组',
    show: '显示',
    make_csv: '生成 CSV',
    download_csv: '下载 CSV',
    eval_empty: '此期间没有案件。',
    total: '合计',
    chart_title: '结案率与按期结案率',
    by_street: '街道',
    by_community: '社区',
    by_cell: '网格',
    by_department: '部门',
    by_category: '类别',
    by_worker: '网格员',
    fig_reported: '上报',
    fig_registered: '立案',
    fig_due: '应结案',
    fig_closed: '结案',
    fig_closed_on_time: '按期结案',
    fig_closure_rate: '结案率',
    fig_on_time_closure_rate: '按期结案率',
    fig_rework_rate: '返工率',
    fig_postponement_rate: '延期率',
    fig_return_rate: '回退率',
    fig_overdue: '超期',
    fig_handling_hours_mean: '平均处置工时',
    fig_patrols: '巡查次数',
    fig_patrol_km: '巡查里程（公里）',
    fig_patrol_moving_h: '巡查行进时长（小时）',
    fig_patrol_coverage: '网格覆盖率',
    fig_sync_devices: '设备数',
    fig_sync_last_contact: '最近联系',
    fig_sync_events_waiting: '待上传事件',
    fig_sync_rejected_events: '被拒事件',
    fig_sync_photos_missing: '缺失照片',
    patrol_tracks: '巡查轨迹',
    patrol_tracks_hint: '在地图上显示近 7 天的巡查轨迹',
    track_tip: '{km} 公里 · 覆盖 {cover}',
    key_queue: '聚焦审核队列',
    key_evaluation: '打开综合评价',
    key_escape: '关闭对话框或案件页 / 清空筛选',
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
    cluster_title: '{count} cases ({open} open, {overdue} overdue): click to zoom in',
    shortcuts: 'Keyboard shortcuts',
    shortcuts_button: 'Shortcuts',
    close: 'Close',
    key_filter: 'Filter the cells',
    key_map: 'Focus the map (arrow keys pan, +/− zoom)',
    key_gcj02: 'Toggle the GCJ-02 display',
    key_base_map: 'Show or hide the base map',
    key_language: 'Switch language',
    key_help: 'Show the shortcuts',
    datum_wgs84: 'Datum: WGS-84',
    datum_gcj02: 'Datum: GCJ-02',
    supervisors_only: 'Only supervisors act on cases from the console.',
    kind_reported: 'Reported',
    kind_registered: 'Registered',
    kind_cancelled: 'Cancelled',
    kind_dispatched: 'Dispatched',
    kind_handled: 'Handled (feedback)',
    kind_verified: 'Verified',
    kind_verification_failed: 'Verification failed',
    kind_closed: 'Closed',
    kind_returned: 'Returned',
    kind_postponed: 'Postponed',
    kind_suspended: 'Suspended',
    kind_resumed: 'Resumed',
    kind_reopened: 'Reopened',
    kind_self_resolved: 'Self-resolved',
    queue: 'Review queue',
    queue_reported: 'To register',
    queue_handled: 'To verify',
    queue_overdue: 'Overdue',
    queue_conflicts: 'Conflicts',
    queue_count: 'Cases: {n}',
    queue_empty: 'No cases.',
    conflicts: 'Conflicts',
    conflict_note: 'Resolution note',
    resolve_conflict: 'Resolve',
    conflict_resolved_by: 'Resolved by {user} at {time}',
    kind_conflict_resolved: 'Conflict resolved',
    health: 'Sync health',
    health_device: 'Device',
    health_user: 'User',
    health_last_contact: 'Last contact',
    health_client: 'Client',
    health_events_waiting: 'Events waiting',
    health_photos_waiting: 'Photos waiting',
    health_rejected_events: 'Rejected events',
    health_photos_missing: 'Photos missing',
    health_never: 'never',
    health_flagged: 'history rewritten',
    health_stale_hours: 'No contact for more than (hours)',
    health_chart: 'Sync problems per device',
    health_count: '{n} devices',
    health_empty: 'No devices',
    more: 'More',
    overdue: 'Overdue',
    deadline_at: 'due {time}',
    no_cell: 'outside every cell',
    conflict_n: 'conflicts: {n}',
    status_reported: 'Reported',
    status_registered: 'Registered',
    status_dispatched: 'Dispatched',
    status_handled: 'Handled',
    status_verified: 'Verified',
    status_suspended: 'Suspended',
    status_closed: 'Closed',
    status_cancelled: 'Cancelled',
    status: 'Status',
    category: 'Category',
    description: 'Description',
    address: 'Address',
    cell: 'Cell',
    claimed_cell: 'Cell the device claimed',
    point: 'Point (WGS-84)',
    reporter: 'Reporter',
    received: 'Received by the server',
    department: 'Department',
    deadline: 'Deadline (server)',
    device_deadline: 'Deadline (device)',
    case_title: 'Case · {category}',
    actions: 'Actions',
    photos: 'Photos',
    timeline: 'Timeline',
    no_photos: 'No photos.',
    photo_alt: 'Case photo {sha}',
    no_actions: 'A supervisor has no action for a case in this status.',
    registration_condition: 'Registration condition',
    closing_condition: 'Closing condition',
    device_vs_received: 'device time {device} · received {received}',
    conflict_reason: 'Conflict: {reason}',
    note_or_reason: 'Note or reason',
    reason_needed: 'This action needs a reason.',
    refused: 'The server refused: {message}',
    action_register: 'Register',
    action_cancel: 'Cancel',
    action_dispatch: 'Dispatch',
    action_close: 'Close',
    action_return: 'Return',
    action_postpone: 'Postpone',
    action_suspend: 'Suspend',
    action_resume: 'Resume',
    action_reopen: 'Reopen',
    evaluation: 'Evaluation',
    period_from: 'From',
    period_to: 'To',
    group_by: 'Group by',
    show: 'Show',
    make_csv: 'Make CSV',
    download_csv: 'Download CSV',
    eval_empty: 'No cases in this period.',
    total: 'Total',
    chart_title: 'Closure and on-time closure rates',
    by_street: 'Street',
    by_community: 'Community',
    by_cell: 'Cell',
    by_department: 'Department',
    by_category: 'Category',
    by_worker: 'Worker',
    fig_reported: 'Reported',
    fig_registered: 'Registered',
    fig_due: 'Due',
    fig_closed: 'Closed',
    fig_closed_on_time: 'Closed on time',
    fig_closure_rate: 'Closure rate',
    fig_on_time_closure_rate: 'On-time closure rate',
    fig_rework_rate: 'Rework rate',
    fig_postponement_rate: 'Postponement rate',
    fig_return_rate: 'Return rate',
    fig_overdue: 'Overdue',
    fig_handling_hours_mean: 'Mean handling hours',
    fig_patrols: 'Patrols',
    fig_patrol_km: 'Patrol km',
    fig_patrol_moving_h: 'Patrol hours moving',
    fig_patrol_coverage: 'Cell coverage',
    fig_sync_devices: 'Devices',
    fig_sync_last_contact: 'Last contact',
    fig_sync_events_waiting: 'Events waiting',
    fig_sync_rejected_events: 'Rejected events',
    fig_sync_photos_missing: 'Photos missing',
    patrol_tracks: 'Patrol tracks',
    patrol_tracks_hint: 'Draw the patrol tracks of the last 7 days on the map',
    track_tip: '{km} km · {cover} covered',
    key_queue: 'Focus the review queue',
    key_evaluation: 'Open the evaluation',
    key_escape: 'Close the dialog or case page / clear the filter',
  },
};

// The posts' texts (issue 10) live in their own module.
for (const lang of Object.keys(MESSAGES)) Object.assign(MESSAGES[lang], POSTS_MESSAGES[lang]);

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
