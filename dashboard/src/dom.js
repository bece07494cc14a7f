// A few DOM helpers. Text from the gateway (names, addresses, SIP data) only ever becomes
// textContent, never HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fmtTime(unixSeconds) {
  if (unixSeconds === null || unixSeconds === undefined || unixSeconds === '') return '';
  if (typeof unixSeconds === 'string') return unixSeconds;
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

export function cell(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// A table of rows; columns: [[title, row => value or Node], ...] or, when omitted, every key of
// the first row (for lists whose shape the dashboard does not need to know, as CDRs).
export function table(rows, columns, rowAttrs) {
  if (!rows.length) return h('p', { class: 'muted' }, 'Nothing to show.');
  const cols = columns || Object.keys(rows[0]).map((k) => [k, (r) => cell(r[k])]);
  return h('table', {},
    h('thead', {}, h('tr', {}, cols.map(([title]) => h('th', {}, title)))),
    h('tbody', {}, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {},
      cols.map(([, get]) => h('td', {}, get(r)))))));
}
