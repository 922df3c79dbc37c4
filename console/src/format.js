// Formatting for the case pages: times in the city's time zone (the catalogue
// calendar's utc_offset_minutes, not the browser's), rates as percentages, and
// catalogue names (categories, departments) in the current language.

/** `ms` (unix ms) as `YYYY-MM-DD HH:mm` at UTC+`offsetMinutes`; '' for none. */
export function formatTime(ms, offsetMinutes = 0) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  const d = new Date(ms + offsetMinutes * 60000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** A rate (0–1) as a percentage with one decimal; '—' when null. */
export function percent(rate) {
  return typeof rate === 'number' && Number.isFinite(rate) ? `${(rate * 100).toFixed(1)}%` : '—';
}

/** The name of catalogue entry `id` (by `key`) in `lang`, else the id itself. */
export function catalogName(entries, key, id, lang) {
  const e = (entries || []).find((x) => x && x[key] === id);
  if (!e) return id == null ? '' : String(id);
  return String((lang === 'zh' ? e.name_zh : e.name_en) || e.name_en || e.name_zh || id);
}

/** The city's time offset from a catalogue (minutes east of UTC); 0 without one. */
export function cityOffset(catalog) {
  const m = catalog?.calendar?.utc_offset_minutes;
  return typeof m === 'number' ? m : 0;
}

/** `YYYY-MM-DD` for a date input, at the city's offset. */
export function dateInput(ms, offsetMinutes) {
  return formatTime(ms, offsetMinutes).slice(0, 10);
}

/** Unix ms of midnight of `YYYY-MM-DD` at the city's offset; NaN if malformed. */
export function parseDate(text, offsetMinutes) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text));
  if (!m) return NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - offsetMinutes * 60000;
}
