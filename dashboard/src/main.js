// trunkguard's dashboard: a single page over the admin API (docs/dashboard.md). Pages are hash
// routes (#/overview, #/calls, ...), so the server serves one index.html. Live updates come
// from the Server-Sent Events of GET /api/v1/stream: one `tick` a second with the series.
import './style.css';
import { api, ApiError, rowsOf, setCsrf } from './api.js';
import { lineChart } from './charts.js';
import { cell, fmtTime, h, table } from './dom.js';

const PAGES = [
  ['overview', 'Overview'], ['calls', 'Live calls'], ['events', 'Events'], ['bans', 'Bans'],
  ['accounts', 'Accounts'], ['cdrs', 'CDRs'],
];
const BLOCK_RULES = ['blocked_banned', 'blocked_acl', 'blocked_scanner', 'blocked_ratelimit',
                     'blocked_overload', 'blocked_policy', 'blocked_dialog'];

const state = { admin: null, stream: null, page: null, onTick: null, last: null };
const root = document.getElementById('app');

function page() {
  const name = location.hash.replace(/^#\//, '');
  return PAGES.some(([p]) => p === name) ? name : 'overview';
}

function message(el, text, ok = false) {
  el.replaceChildren(h('span', { class: ok ? 'ok' : 'error' }, text));
}

// ---- login ----
function showLogin(why) {
  stopStream();
  state.admin = null;
  const status = h('div', { class: 'error', id: 'login-error' }, why || '');
  const form = h('form', { class: 'login', id: 'login' },
    h('h2', {}, 'trunkguard'),
    h('label', {}, 'Admin', h('input', { name: 'user', autocomplete: 'username', required: true })),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password',
                                            autocomplete: 'current-password' })),
    h('label', {}, 'Code (TOTP)', h('input', { name: 'code', inputmode: 'numeric',
                                               autocomplete: 'one-time-code', required: true })),
    h('button', { class: 'primary', type: 'submit' }, 'Log in'),
    status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = { user: f.get('user'), code: f.get('code') };
    if (f.get('password')) body.password = f.get('password');
    try {
      const s = await api('POST', '/api/v1/login', body);
      setCsrf(s.csrf_token);
      state.admin = s.admin;
      showApp();
    } catch (err) {
      message(status, err.message);
    }
  });
  root.replaceChildren(form);
}

async function logout() {
  try {
    await api('POST', '/api/v1/logout');
  } catch {
    // Gone already: the login page either way.
  }
  setCsrf('');
  location.hash = '';
  showLogin('Logged out.');
}

// ---- the frame and the stream ----
function showApp() {
  const nav = h('nav', {}, PAGES.map(([p, title]) => h('a', { href: `#/${p}`, id: `nav-${p}` },
                                                        title)));
  const main = h('main', { id: 'main' });
  root.replaceChildren(
    h('header', {}, h('strong', {}, 'trunkguard'), nav,
      h('span', { class: 'who' }, state.admin, ' ',
        h('button', { onclick: logout, id: 'logout' }, 'Log out'))),
    main);
  startStream();
  render();
}

function startStream() {
  stopStream();
  const es = new EventSource('/api/v1/stream');
  es.addEventListener('tick', (e) => {
    state.last = JSON.parse(e.data);
    if (state.onTick) state.onTick(state.last);
  });
  es.onerror = async () => {
    // EventSource retries by itself; a lost session ends at the login page instead.
    try {
      await api('GET', '/api/v1/session');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) showLogin('The session ended.');
    }
  };
  state.stream = es;
}

function stopStream() {
  if (state.stream) state.stream.close();
  state.stream = null;
}

function failed(main, err) {
  if (err instanceof ApiError && err.status === 401) {
    showLogin('The session ended: log in again.');
    return;
  }
  main.append(h('p', { class: 'error' }, err instanceof ApiError && err.status === 404
    ? `Not available from this gateway: ${err.message}` : err.message));
}

async function render() {
  if (!state.admin) return;
  const main = document.getElementById('main');
  if (!main) return;
  state.page = page();
  state.onTick = null;
  for (const [p] of PAGES) {
    const a = document.getElementById(`nav-${p}`);
    if (a) a.className = p === state.page ? 'active' : '';
  }
  main.replaceChildren();
  try {
    await RENDER[state.page](main);
  } catch (err) {
    failed(main, err);
  }
}

// ---- overview ----
function tile(id, label) {
  return h('div', { class: 'tile' }, h('div', { class: 'value', id }, '–'),
           h('div', { class: 'label' }, label));
}

function setText(id, v) {
  const el = document.getElementById(id);
  if (el) el.textContent = v;
}

function rounded(v) {
  return v === undefined || v === null ? '–' : (Math.round(v * 10) / 10).toString();
}

async function overview(main) {
  main.append(h('h2', {}, 'Overview'),
    h('div', { class: 'tiles' }, tile('t-calls', 'calls now'), tile('t-cps', 'calls/s'),
      tile('t-blocked', 'blocked/s'), tile('t-bans', 'bans active')));
  const charts = h('div', { class: 'grid2' });
  const health = h('div', { class: 'card', id: 'health' }, h('h3', {}, 'Providers'));
  const sources = h('div', { class: 'card', id: 'top-sources' },
                    h('h3', {}, 'Top attacking sources (last hour)'));
  const hourCalls = h('div', { class: 'card' });
  const hourBlocked = h('div', { class: 'card' });
  const day = h('div', { class: 'card' });
  const spend = h('div', { class: 'card', id: 'spend' });
  charts.append(hourCalls, hourBlocked, day, spend, health, sources);
  main.append(charts);

  const callsChart = lineChart(hourCalls, 'Calls, last hour', ['calls_now', 'calls_per_s']);
  const blockedChart = lineChart(hourBlocked, 'Blocked per second by rule, last hour',
                                 BLOCK_RULES);
  const dayChart = lineChart(day, 'Last day (per minute)',
                             ['calls_now', 'calls_per_s', 'blocked_per_s']);
  const now = Math.floor(Date.now() / 1000);
  const [hour, lastDay, status] = await Promise.all([
    api('GET', `/api/v1/series?step=1&since=${now - 3600}`),
    api('GET', `/api/v1/series?step=60&since=${now - 86400}`),
    api('GET', '/api/v1/status'),
  ]);
  callsChart.load(hour);
  blockedChart.load(hour);
  dayChart.load(lastDay);
  setText('t-bans', status.bans);
  health.append(table(status.providers || [], [
    ['provider', (p) => p.name],
    ['health', (p) => (p.up === undefined ? 'no checks'
      : h('span', { class: p.up ? 'up' : 'down' }, p.up ? 'up' : 'down'))],
    ['addresses up', (p) => (p.addresses === undefined ? '' : `${p.addresses_up}/${p.addresses}`)],
    ['registration', (p) => p.registration || ''],
  ]));
  topSources(sources, now);
  spendPerHour(spend, now);

  state.onTick = (t) => {
    setText('t-calls', t.series.calls_now);
    setText('t-cps', rounded(t.series.calls_per_s));
    setText('t-blocked', rounded(t.series.blocked_per_s));
    setText('t-bans', t.bans);
    callsChart.push(t.time, t.series);
    blockedChart.push(t.time, t.series);
  };
}

async function topSources(card, now) {
  try {
    const events = rowsOf(await api('GET', `/api/v1/events?since=${now - 3600}&limit=1000`));
    const bySource = new Map();
    for (const e of events) bySource.set(e.source, (bySource.get(e.source) || 0) + 1);
    const top = [...bySource.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)
      .map(([source, count]) => ({ source, count }));
    card.append(table(top, [['source', (r) => r.source], ['events', (r) => r.count]]));
  } catch (err) {
    card.append(h('p', { class: 'muted' }, `Events unavailable: ${err.message}`));
  }
}

// Spend per hour over the last day, from the CDRs' costs (each call counted in the hour it
// ended): the gateway keeps costs in its CDRs, not in the live series.
function unixOf(v) {
  if (typeof v === 'number') return v;
  const t = Date.parse(v || '');
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

async function spendPerHour(card, now) {
  try {
    const since = now - 86400;
    const rows = rowsOf(await api('GET', `/api/v1/cdrs?format=json&since=${since}&limit=10000`));
    const first = Math.floor(since / 3600) * 3600;
    const hours = Array.from({ length: 25 }, (_, i) => first + i * 3600);
    const spent = hours.map(() => 0);
    for (const r of rows) {
      const end = unixOf(r.end_time ?? r.end ?? r.start_time);
      if (end === null || end < first || !r.cost) continue;
      spent[Math.min(24, Math.floor((end - first) / 3600))] += Number(r.cost);
    }
    const chart = lineChart(card, 'Spend per hour, last day (from CDRs)', ['spend']);
    chart.load({ time: hours, series: { spend: spent } });
  } catch (err) {
    card.append(h('h3', {}, 'Spend per hour'),
                h('p', { class: 'muted' }, `CDRs unavailable: ${err.message}`));
  }
}

// ---- live calls ----
async function calls(main) {
  const status = h('div', { id: 'calls-status' });
  const list = h('div', { class: 'card', id: 'calls' });
  main.append(h('h2', {}, 'Live calls'), status, list);
  const refresh = async () => {
    const rows = rowsOf(await api('GET', '/api/v1/calls'));
    list.replaceChildren(table(rows, [
      ['uuid', (c) => c.uuid], ['direction', (c) => c.direction], ['state', (c) => c.state],
      ['provider', (c) => c.provider], ['dialled', (c) => c.dialled],
      ['source', (c) => cell(c.source)], ['account', (c) => cell(c.account)],
      ['', (c) => h('button', { class: 'danger', 'data-uuid': c.uuid, onclick: async () => {
        if (!window.confirm(`End call ${c.uuid}?`)) return;
        try {
          await api('POST', `/api/v1/calls/${encodeURIComponent(c.uuid)}/end`);
          message(status, `Ended ${c.uuid}.`, true);
        } catch (err) {
          message(status, err.message);
        }
        refresh().catch(() => {});
      } }, 'End')],
    ], (c) => ({ 'data-uuid': c.uuid })));
  };
  await refresh();
  state.onTick = () => refresh().catch(() => {});
}

// ---- events ----
// The address of an event's source: a ban is of an address or network, never of a port
// ("192.0.2.1:5060" and "[2001:db8::1]:5060" are banned as their address).
function addressOf(source) {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(source);
  if (v6) return v6[1];
  const v4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(source);
  return v4 ? v4[1] : source;
}

async function banSource(source, reason, durationS, status) {
  try {
    const body = { source, reason };
    if (durationS) body.duration_s = durationS;  // none: for ever
    await api('POST', '/api/v1/bans', body);
    message(status, `Banned ${source}.`, true);
  } catch (err) {
    message(status, err.message);
  }
}

async function events(main) {
  const status = h('div', { id: 'events-status' });
  const list = h('div', { class: 'card', id: 'events' });
  const form = h('form', { class: 'filters', id: 'event-filters' },
    h('label', {}, 'Last', h('select', { name: 'window' },
      [['900', '15 minutes'], ['3600', 'hour'], ['86400', 'day'], ['604800', 'week']]
        .map(([v, t]) => h('option', { value: v, selected: v === '3600' }, t)))),
    h('label', {}, 'Zone', h('select', { name: 'zone' },
      ['', 'public', 'pbx', 'trunk'].map((z) => h('option', { value: z }, z || 'any')))),
    h('label', {}, 'Source', h('input', { name: 'source', placeholder: 'address' })),
    h('label', {}, 'Rule', h('input', { name: 'rule', placeholder: 'e.g. scanner' })),
    h('button', { type: 'submit' }, 'Filter'));
  main.append(h('h2', {}, 'Security events'), form, status, list);
  const refresh = async () => {
    const f = new FormData(form);
    const q = new URLSearchParams({
      since: String(Math.floor(Date.now() / 1000) - Number(f.get('window'))), limit: '500',
    });
    for (const k of ['zone', 'source', 'rule']) if (f.get(k)) q.set(k, f.get(k));
    const rows = rowsOf(await api('GET', `/api/v1/events?${q}`));
    list.replaceChildren(table(rows, [
      ['time', (e) => fmtTime(e.time)], ['zone', (e) => e.zone], ['source', (e) => e.source],
      ['rule', (e) => e.rule], ['detail', (e) => e.detail],
      ['', (e) => h('button', { class: 'danger', onclick: () => {
        const address = addressOf(e.source);
        if (window.confirm(`Ban ${address} for a day?`)) {
          banSource(address, `from event: ${e.rule}`, 86400, status);
        }
      } }, 'Ban source')],
    ], (e) => ({ 'data-rule': e.rule, 'data-source': e.source })));
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    refresh().catch((err) => message(status, err.message));
  });
  await refresh();
  let ticks = 0;
  state.onTick = () => {
    if (++ticks % 5 === 0) refresh().catch(() => {});
  };
}

// ---- bans ----
async function bans(main) {
  const status = h('div', { id: 'bans-status' });
  const list = h('div', { class: 'card', id: 'bans' });
  const form = h('form', { class: 'filters', id: 'ban-form' },
    h('label', {}, 'Source', h('input', { name: 'source', required: true,
                                          placeholder: 'address or network' })),
    h('label', {}, 'Reason', h('input', { name: 'reason', placeholder: 'why' })),
    h('label', {}, 'For', h('select', { name: 'duration' },
      [['3600', 'an hour'], ['86400', 'a day'], ['604800', 'a week'], ['0', 'ever']]
        .map(([v, t]) => h('option', { value: v }, t)))),
    h('button', { type: 'submit', class: 'danger' }, 'Ban'));
  main.append(h('h2', {}, 'Bans'), form, status, list);
  const refresh = async () => {
    const rows = rowsOf(await api('GET', '/api/v1/bans'));
    list.replaceChildren(table(rows, [
      ['source', (b) => b.source], ['reason', (b) => b.reason],
      ['created', (b) => fmtTime(b.created)],
      ['expires', (b) => (b.expires === null ? 'never' : fmtTime(b.expires))],
      ['', (b) => h('button', { onclick: async () => {
        try {
          await api('DELETE', `/api/v1/bans/${encodeURIComponent(b.source)}`);
          message(status, `Removed the ban of ${b.source}.`, true);
        } catch (err) {
          message(status, err.message);
        }
        refresh().catch(() => {});
      } }, 'Remove')],
    ]));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const duration = Number(f.get('duration'));
    await banSource(f.get('source'), f.get('reason') || 'banned from the dashboard',
                    duration === 0 ? null : duration, status);
    refresh().catch(() => {});
  });
  await refresh();
}

// ---- accounts and CDRs: lists shown as the API gives them ----
async function accounts(main) {
  main.append(h('h2', {}, 'Accounts'));
  const rows = rowsOf(await api('GET', '/api/v1/accounts'));
  main.append(h('div', { class: 'card', id: 'accounts' }, table(rows)));
}

async function cdrs(main) {
  main.append(h('h2', {}, 'Call detail records'),
    h('p', {}, h('a', { href: '/api/v1/cdrs?format=csv&limit=10000', download: 'cdrs.csv' },
                 'Export CSV')));
  const rows = rowsOf(await api('GET', '/api/v1/cdrs?format=json&limit=200'));
  main.append(h('div', { class: 'card', id: 'cdrs' }, table(rows)));
}

const RENDER = { overview, calls, events, bans, accounts, cdrs };

window.addEventListener('hashchange', render);

(async () => {
  try {
    const s = await api('GET', '/api/v1/session');
    setCsrf(s.csrf_token);
    state.admin = s.admin;
    showApp();
  } catch {
    showLogin('');
  }
})();
