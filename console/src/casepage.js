// The case page, a modal dialog (Esc closes it): the report, its photos (fetched with
// the token as blobs and shown from object URLs), the timeline in the fold's order with
// conflicts marked, and the actions the server lists for the signed-in account
// (`permitted_actions`: the core's workflow::permitted for its post and department).

import { el, replaceChildren, setText } from './dom.js';
import { formatTime, catalogName, cityOffset } from './format.js';
import {
  actionsFor, actionBody, mayResolveConflicts, photoRef,
  NEEDS_REASON, NEEDS_PHOTO, NEEDS_DEPARTMENT, TAKES_EXTENSION,
} from './actions.js';

/**
 * The case page in `dialog`. `catalog()` gives the catalogue; `onChanged()` is called
 * after an action the server took (the queue reloads); what is offered is the case's
 * `permitted_actions`, as the server computed them for the signed-in account;
 * `onClosed(id)` is called when the page closes (focus goes back to the queue), and
 * `onLoaded(case)` with each case loaded (the map places its marker at the report).
 */
export function createCasePage(dialog, { api, catalog, onChanged, onClosed = () => {}, onLoaded = () => {}, t, lang, describeError }) {
  const body = el('div', { className: 'case-body' });
  const close = el('button', { type: 'button', className: 'close', id: 'case-close', text: t('close'), on: { click: () => dialog.close() } });
  const title = el('h2', { id: 'case-title' });
  replaceChildren(dialog, el('div', { className: 'page-head' }, title, close), body);
  dialog.setAttribute('aria-labelledby', 'case-title');
  let urls = [];
  let current = null;

  function dropPhotos() {
    for (const u of urls) URL.revokeObjectURL(u);
    urls = [];
  }
  dialog.addEventListener('close', () => {
    const id = current;
    dropPhotos();
    current = null;
    // After the browser's own focus restoration (to the element that opened the dialog,
    // which a queue reload may have replaced).
    setTimeout(() => onClosed(id), 0);
    replaceChildren(body);
  });

  const field = (label, value) => (value === '' || value === null || value === undefined
    ? null
    : [el('dt', { text: label }), el('dd', { text: value })]);

  const deptName = (id) => (id ? `${catalogName(catalog()?.departments, 'id', id, lang())} (${id})` : '');

  function verifierText(v) {
    if (!v || !Array.isArray(v.users)) return '';
    if (!v.users.length) return t('verifier_none');
    return t(v.rule === 'reporter' ? 'verifier_reporter' : 'verifier_cell', { users: v.users.join(', ') });
  }

  function limitText(limit) {
    if (!limit || typeof limit.value !== 'number') return '';
    return t(limit.unit === 'working_days' ? 'limit_working_days' : 'limit_working_hours', { n: limit.value });
  }

  // The department's application waiting for the shift lead, if any.
  function application(c) {
    const a = c.view?.case?.application;
    if (!a) return null;
    const offset = cityOffset(catalog());
    return el('p', { className: 'application', id: 'case-application' },
      el('strong', { text: `${t('application')}: ` }),
      el('span', { text: t('application_text', { exception: t(`exception_${a.exception}`), reason: a.reason || '', by: a.by || '', time: formatTime(a.at_ms, offset) }) }));
  }

  function report(c) {
    const offset = cityOffset(catalog());
    const kase = c.view?.case || {};
    const rep = kase.report || {};
    const who = c.reporter ? `${c.reporter.user} (${t(`role_${c.reporter.role}`)})` : '';
    const deadline = formatTime(c.deadline_ms, offset);
    const device = c.device_deadline_ms !== c.deadline_ms ? formatTime(c.device_deadline_ms, offset) : '';
    return el('dl', { className: 'facts' },
      field(t('status'), t(`status_${c.status}`)),
      field(t('category'), catalogName(catalog()?.categories, 'code', c.category, lang())),
      field(t('description'), rep.description ?? c.description ?? ''),
      field(t('address'), rep.address || ''),
      field(t('cell'), c.cell || t('no_cell')),
      field(t('claimed_cell'), c.claimed_cell || ''),
      field(t('point'), typeof rep.lat === 'number' ? `${rep.lat.toFixed(6)}, ${rep.lon.toFixed(6)}` : ''),
      field(t('reporter'), who),
      field(t('received'), formatTime(c.received_ms, offset)),
      field(t('source'), c.source ? t(`source_${c.source}`) : ''),
      field(t('department'), c.department ? deptName(c.department) : ''),
      field(t('assisting'), (kase.assisting || []).map(deptName).join(', ')),
      field(t('urge_count'), kase.urge_count ? String(kase.urge_count) : ''),
      field(t('verifier'), verifierText(c.verifier)),
      field(t('deadline'), deadline ? `${deadline}${c.overdue ? ` · ${t('overdue')}` : ''}` : ''),
      field(t('device_deadline'), device));
  }

  function photos(c) {
    const list = Array.isArray(c.photos) ? c.photos : [];
    if (!list.length) return el('p', { className: 'muted', text: t('no_photos') });
    const box = el('div', { className: 'photos' });
    for (const p of list) {
      const img = el('img', { alt: t('photo_alt', { sha: String(p.sha256).slice(0, 8) }), className: 'photo' });
      box.append(img);
      api.blob(p.url, 'image/*').then((blob) => {
        if (current !== c.id) return;
        const u = URL.createObjectURL(blob);
        urls.push(u);
        img.src = u;
      }).catch((error) => {
        img.replaceWith(el('span', { className: 'error', text: describeError(error, t) }));
      });
    }
    return box;
  }

  // A step's department and note or reason, from its payload as the device wrote it
  // (at the top or one object down), shown as text.
  function details(payload) {
    const layers = [payload, ...Object.values(payload && typeof payload === 'object' ? payload : {})]
      .filter((x) => x && typeof x === 'object' && !Array.isArray(x));
    const pick = (key) => layers.map((x) => x[key]).find((v) => typeof v === 'string' && v.trim());
    const dept = pick('department');
    const text = pick('reason') || pick('note');
    return [
      dept ? el('span', { className: 'tl-detail', text: `${t('department')}: ${deptName(dept)}` }) : null,
      text ? el('span', { className: 'tl-detail', text: `${t('note_or_reason')}: ${text}` }) : null,
    ];
  }

  function kindName(kind) {
    const key = `kind_${String(kind).replace(/^incident\./, '')}`;
    const name = t(key);
    return name === key ? String(kind) : name;
  }

  function timeline(c) {
    const offset = cityOffset(catalog());
    const items = Array.isArray(c.timeline) ? c.timeline : [];
    return el('ol', { className: 'timeline' }, items.map((e) => el('li', { className: e.conflict ? 'conflict' : '', dataset: { kind: e.kind } },
      el('span', { className: 'tl-kind' }, el('strong', { text: kindName(e.kind) }), ' ', el('code', { text: e.kind })),
      details(e.payload),
      el('span', { className: 'tl-who', text: `${e.actor?.user ?? ''} · ${e.device_id ?? ''}` }),
      el('span', { className: 'muted', text: t('device_vs_received', { device: formatTime(e.device_ms, offset), received: formatTime(e.received_ms, offset) }) }),
      e.conflict ? el('span', { className: 'badge conflict', text: t('conflict_reason', { reason: e.conflict_reason || '' }) }) : null)));
  }

  function actions(c) {
    const names = actionsFor(c);
    if (!names.length) return el('p', { className: 'muted', id: 'no-actions', text: t('no_actions') });
    const message = el('p', { className: 'error', id: 'action-error', attrs: { role: 'alert' } });
    const note = el('input', { id: 'action-note', type: 'text', maxLength: 2000 });
    const departments = catalog()?.departments || [];
    const fallback = c.default_department ? t('default_department', { name: deptName(c.default_department) }) : '';
    const dept = el('select', { id: 'action-department' },
      names.includes('dispatch') ? el('option', { value: '', text: fallback || '—' }) : null,
      departments.map((d) => el('option', { value: d.id, text: deptName(d.id) })));
    const extend = el('input', { id: 'action-extend', type: 'number', min: '1', step: '1', inputMode: 'numeric' });
    const photo = el('input', { id: 'action-photo', type: 'file', accept: 'image/*' });
    const category = (catalog()?.categories || []).find((x) => x.code === c.category);
    const urgent = c.view?.case?.report?.urgency === 'urgent' && category?.urgent_time_limit;
    const limit = limitText(urgent ? category.urgent_time_limit : category?.time_limit);
    const buttons = names.map((name) => el('button', {
      type: 'button', className: 'action', dataset: { action: name }, text: t(`action_${name}`),
      on: {
        click: async (ev) => {
          const button = ev.currentTarget;
          setText(message, '');
          if (NEEDS_REASON.has(name) && !note.value.trim()) {
            setText(message, t('reason_needed'));
            note.focus();
            return;
          }
          const file = NEEDS_PHOTO.has(name) ? photo.files?.[0] : null;
          if (NEEDS_PHOTO.has(name) && !file) {
            setText(message, t('photo_needed'));
            photo.focus();
            return;
          }
          button.disabled = true;
          try {
            const photos = file ? [await photoRef(file)] : [];
            await api.act(c.id, actionBody(name, { note: note.value, department: dept.value, extendHours: extend.value, photos }));
            // The accepted step references the photo: now the server takes its bytes.
            if (file) {
              try {
                await api.putBlob(photos[0].sha256, file);
              } catch (error) {
                setText(message, t('photo_upload_failed', { message: describeError(error, t) }));
              }
            }
            await open(c.id);
            onChanged();
          } catch (error) {
            button.disabled = false;
            setText(message, error.code === 'not_allowed' ? t('refused', { message: error.message }) : describeError(error, t));
          }
        },
      },
    }));
    const has = (set) => names.some((n) => set.has(n));
    return el('div', { className: 'actions' },
      conditions(c, names),
      el('label', { htmlFor: 'action-note', text: t('note_or_reason') }), note,
      has(NEEDS_DEPARTMENT) ? [el('label', { htmlFor: 'action-department', text: t('department') }), dept] : null,
      names.includes('dispatch') && limit ? el('p', { className: 'muted', id: 'dispatch-limit', text: t('dispatch_deadline', { limit }) }) : null,
      has(TAKES_EXTENSION) ? [el('label', { htmlFor: 'action-extend', text: t('extend_hours') }), extend] : null,
      has(NEEDS_PHOTO) ? [el('label', { htmlFor: 'action-photo', text: t('after_photo') }), photo] : null,
      el('div', { className: 'action-buttons' }, buttons),
      message);
  }

  // The category's registration condition (立案条件) beside register, its closing
  // condition (结案条件) beside close, from the catalogue (a reference is `code` or
  // `kind/code`).
  function conditions(c, names) {
    const [kind, code] = String(c.category ?? '').includes('/') ? String(c.category).split('/') : [null, c.category];
    const cat = (catalog()?.categories || []).find((x) => x.code === code && (!kind || x.kind === kind));
    const line = (id, label, en, zh) => ((en || zh)
      ? el('p', { className: 'condition', id }, el('strong', { text: `${t(label)}: ` }), (lang() === 'zh' ? zh : en) || en || zh)
      : null);
    if (!cat) return null;
    return [
      names.includes('register') ? line('registration-condition', 'registration_condition', cat.registration_condition, cat.registration_condition_zh) : null,
      names.includes('close') ? line('closing-condition', 'closing_condition', cat.closing_condition, cat.closing_condition_zh) : null,
    ];
  }

  // The conflicts the fold flagged: each unresolved one offers a supervisor "resolve"
  // (an incident.conflict_resolved event naming it, with the note typed beside it).
  function conflicts(c) {
    const offset = cityOffset(catalog());
    const list = Array.isArray(c.view?.case?.conflicts) ? c.view.case.conflicts : [];
    if (!list.length) return null;
    const message = el('p', { className: 'error', id: 'conflict-error', attrs: { role: 'alert' } });
    const items = list.map((k) => {
      const facts = [
        el('strong', { text: kindName(k.kind) }), ' ',
        el('span', { className: 'tl-who', text: `${k.actor?.user ?? ''} · ${k.device_id ?? ''} · ${formatTime(k.at_ms, offset)}` }),
        el('span', { className: 'tl-detail', text: t('conflict_reason', { reason: k.reason || '' }) }),
      ];
      if (k.resolved) {
        const by = k.resolved.by?.user ?? '';
        return el('li', { className: 'conflict resolved', dataset: { event: k.event_id } }, facts,
          el('span', { className: 'badge', text: t('conflict_resolved_by', { user: by, time: formatTime(k.resolved.at_ms, offset) }) }),
          k.resolved.note ? el('span', { className: 'tl-detail', text: `${t('note_or_reason')}: ${k.resolved.note}` }) : null);
      }
      if (!mayResolveConflicts(c)) return el('li', { className: 'conflict', dataset: { event: k.event_id } }, facts);
      const note = el('input', { type: 'text', maxLength: 2000, className: 'conflict-note', attrs: { 'aria-label': t('conflict_note') } });
      const button = el('button', {
        type: 'button', className: 'resolve-conflict', dataset: { event: k.event_id }, text: t('resolve_conflict'),
        on: {
          click: async () => {
            setText(message, '');
            button.disabled = true;
            try {
              const body = { action: 'resolve_conflict', conflict: k.event_id };
              if (note.value.trim()) body.note = note.value.trim();
              await api.act(c.id, body);
              await open(c.id);
              onChanged();
            } catch (error) {
              button.disabled = false;
              setText(message, error.code === 'not_allowed' ? t('refused', { message: error.message }) : describeError(error, t));
            }
          },
        },
      });
      return el('li', { className: 'conflict open', dataset: { event: k.event_id } }, facts, note, button);
    });
    return el('section', { id: 'case-conflicts' }, el('h3', { text: t('conflicts') }), el('ul', { className: 'conflicts' }, items), message);
  }

  function render(c) {
    setText(title, t('case_title', { category: catalogName(catalog()?.categories, 'code', c.category, lang()) }));
    dialog.dataset.status = c.status;
    dialog.dataset.id = c.id;
    dropPhotos();
    replaceChildren(body,
      el('section', {}, report(c)),
      el('section', {}, el('h3', { text: t('actions') }), application(c), actions(c)),
      conflicts(c),
      el('section', {}, el('h3', { text: t('timeline') }), timeline(c)),
      el('section', {}, el('h3', { text: t('photos') }), photos(c)));
  }

  async function open(id) {
    current = id;
    if (!dialog.open) {
      replaceChildren(body, el('p', { className: 'muted', text: t('loading') }));
      dialog.showModal();
      close.focus();
    }
    try {
      const c = await api.caseDetail(id);
      if (current !== id) return;
      render(c);
      onLoaded(c);
    } catch (error) {
      replaceChildren(body, el('p', { className: 'error', text: describeError(error, t) }));
    }
  }

  return { open, close: () => dialog.close(), retranslate: () => { setText(close, t('close')); if (current) open(current); } };
}
