// The administrator's users page (a modal dialog), for supervisors whose scope is
// everywhere: every account from GET /v1/users (post, scope, department, last
// activity, disabled), a form that creates one (POST /v1/users), and per account a
// change of post, scope and department (PATCH /v1/users/{name}) and disable/enable.
// The server checks everything; a refusal shows its message.

import { el, replaceChildren, setText } from './dom.js';
import { formatTime, cityOffset, catalogName } from './format.js';

/** The posts an account may hold (the server's roles). */
export const ROLES = ['worker', 'intake', 'dispatcher', 'shift_lead', 'supervisor', 'handler', 'integration'];

/** A scope as typed (`*, 320508, @water/320508`) → the API's list (`*` is everywhere). */
export function parseScope(text) {
  return String(text).split(',').map((p) => p.trim()).filter(Boolean).map((p) => (p === '*' ? '' : p));
}

/** The API's scope list as typed back. */
export function scopeText(scope) {
  return (Array.isArray(scope) ? scope : []).map((p) => (p === '' ? '*' : p)).join(', ');
}

export function createUsers(dialog, { api, catalog, t, lang, describeError }) {
  const title = el('h2', { id: 'users-title' });
  const close = el('button', { type: 'button', className: 'close', id: 'users-close', on: { click: () => dialog.close() } });
  const status = el('p', { className: 'error', id: 'users-status', attrs: { role: 'alert' } });
  const done = el('p', { className: 'muted', id: 'users-done', attrs: { 'aria-live': 'polite' } });
  const table = el('div', { className: 'eval-table', id: 'users-table' });
  const form = el('form', { id: 'user-create', className: 'user-form' });
  replaceChildren(dialog, el('div', { className: 'page-head' }, title, close), form, status, done, table);
  dialog.setAttribute('aria-labelledby', 'users-title');

  const chosen = (select, value) => {
    select.value = value;
    return select;
  };
  const roleSelect = (id, value) => chosen(el('select', { id, className: 'user-role' },
    ROLES.map((r) => el('option', { value: r, text: t(`role_${r}`) }))), value);
  const deptSelect = (id, value) => chosen(el('select', { id, className: 'user-dept' },
    el('option', { value: '', text: t('user_none') }),
    (catalog()?.departments || []).map((d) => el('option', {
      value: d.id, text: `${catalogName([d], 'id', d.id, lang())} (${d.id})`,
    }))), value);

  function fail(error) {
    setText(done, '');
    setText(status, describeError(error, t));
  }

  function buildForm() {
    const name = el('input', { id: 'new-user-name', autocomplete: 'off', required: true });
    const role = roleSelect('new-user-role', 'worker');
    const scope = el('input', { id: 'new-user-scope', autocomplete: 'off', placeholder: t('scope_hint') });
    const dept = deptSelect('new-user-dept', '');
    const password = el('input', { id: 'new-user-password', type: 'password', autocomplete: 'new-password' });
    const label = (input, key) => el('label', { htmlFor: input.id, text: t(key) });
    replaceChildren(form,
      label(name, 'user_name'), name, label(role, 'user_role'), role, label(scope, 'user_scope'), scope,
      label(dept, 'user_department'), dept, label(password, 'user_password'), password,
      el('button', { type: 'submit', id: 'new-user-create', text: t('user_create') }));
    form.onsubmit = async (e) => {
      e.preventDefault();
      setText(status, '');
      const body = { name: name.value.trim(), role: role.value, scope: parseScope(scope.value) };
      if (dept.value) body.department = dept.value;
      if (password.value) body.password = password.value;
      try {
        const made = await api.createUser(body);
        setText(done, t('user_created', { name: made.name }));
        form.reset();
        await load();
      } catch (error) {
        fail(error);
      }
    };
  }

  function row(u) {
    const offset = cityOffset(catalog());
    const key = encodeURIComponent(u.name).replace(/%/g, '_');
    const role = roleSelect(`user-role-${key}`, u.role);
    const scope = el('input', { id: `user-scope-${key}`, className: 'user-scope', value: scopeText(u.scope), attrs: { 'aria-label': `${t('user_scope')} ${u.name}` } });
    const dept = deptSelect(`user-dept-${key}`, u.department || '');
    role.setAttribute('aria-label', `${t('user_role')} ${u.name}`);
    dept.setAttribute('aria-label', `${t('user_department')} ${u.name}`);
    const patch = async (body) => {
      setText(status, '');
      try {
        const changed = await api.changeUser(u.name, body);
        setText(done, t('user_saved', { name: changed.name }));
        await load();
      } catch (error) {
        fail(error);
      }
    };
    const save = el('button', {
      type: 'button', className: 'user-save', text: t('user_save'),
      on: { click: () => patch({ role: role.value, scope: parseScope(scope.value), department: dept.value || null }) },
    });
    const toggle = el('button', {
      type: 'button', className: 'user-toggle', text: t(u.disabled ? 'user_enable' : 'user_disable'),
      on: { click: () => patch({ disabled: !u.disabled }) },
    });
    return el('tr', { dataset: { user: u.name, role: u.role, disabled: String(Boolean(u.disabled)) } },
      el('th', { attrs: { scope: 'row' }, text: u.name }),
      el('td', {}, role), el('td', {}, scope), el('td', {}, dept),
      el('td', { text: u.last_activity_ms ? formatTime(u.last_activity_ms, offset) : '—' }),
      el('td', { className: 'user-state', text: t(u.disabled ? 'user_disabled' : 'user_enabled') }),
      el('td', {}, save, ' ', toggle));
  }

  async function load() {
    try {
      const list = await api.users();
      const head = ['user_name', 'user_role', 'user_scope', 'user_department', 'user_last_activity', 'user_disabled', 'actions'];
      replaceChildren(table, el('table', { id: 'users-list' },
        el('thead', {}, el('tr', {}, head.map((k) => el('th', { attrs: { scope: 'col' }, text: t(k) })))),
        el('tbody', {}, (Array.isArray(list) ? list : []).map(row))));
      dialog.dataset.loaded = String(Array.isArray(list) ? list.length : 0);
    } catch (error) {
      fail(error);
    }
  }

  function texts() {
    setText(title, t('users_title'));
    setText(close, t('close'));
  }

  return {
    async open() {
      texts();
      buildForm();
      setText(status, '');
      setText(done, '');
      if (!dialog.open) dialog.showModal();
      await load();
    },
    retranslate() {
      texts();
      if (dialog.open) {
        buildForm();
        load();
      }
    },
  };
}
