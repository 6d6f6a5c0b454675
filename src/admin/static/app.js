// lbd admin UI: the little script the server-rendered pages need.
// Live dashboard (HTML fragments over Server-Sent Events), live log tail,
// confirmations, and jumping to an error line in the raw editor.
'use strict';

document.addEventListener('submit', (ev) => {
  const form = ev.target;
  const question = form.getAttribute && form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) ev.preventDefault();
});

document.addEventListener('click', (ev) => {
  const back = ev.target.closest && ev.target.closest('[data-back]');
  if (back && history.length > 1) { ev.preventDefault(); history.back(); return; }
  const goto = ev.target.closest && ev.target.closest('[data-goto-line]');
  const text = document.getElementById('raw-text');
  if (goto && text) {
    ev.preventDefault();
    const line = Number(goto.getAttribute('data-goto-line'));
    const lines = text.value.split('\n');
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    text.focus();
    text.setSelectionRange(start, start + (lines[line - 1] || '').length);
    text.scrollTop = Math.max(0, (line - 5) * 17);
  }
});

function liveDashboard(root) {
  const state = document.getElementById('live-state');
  const es = new EventSource(root.getAttribute('data-live-url'));
  es.addEventListener('open', () => { state.textContent = 'live'; state.classList.remove('off'); });
  es.addEventListener('error', () => { state.textContent = 'reconnecting…'; state.classList.add('off'); });
  es.addEventListener('expired', () => { es.close(); location.href = '/login?next=/'; });
  es.addEventListener('fragment', (ev) => {
    const f = JSON.parse(ev.data);
    const el = document.getElementById(f.id);
    if (el) el.innerHTML = f.html;
    state.textContent = 'live · updated ' + new Date().toLocaleTimeString();
  });
}

function logTail(table) {
  const tail = document.getElementById('tail');
  const body = table.tBodies[0];
  const box = table.parentElement;
  const es = new EventSource(table.getAttribute('data-stream'));
  const skip = new Set(['level', 'time', 'msg', 'pid', 'svc', 'subsystem', 'hostname']);
  es.addEventListener('expired', () => { es.close(); location.href = '/login?next=/logs'; });
  es.addEventListener('line', (ev) => {
    if (tail && !tail.checked) return;
    const l = JSON.parse(ev.data);
    const tr = document.createElement('tr');
    tr.className = 'lvl-' + l.level;
    const extra = Object.keys(l).filter((k) => !skip.has(k)).map((k) => k + '=' + (typeof l[k] === 'string' ? l[k] : JSON.stringify(l[k]))).join(' ');
    for (const v of [String(l.time || '').replace('T', ' ').slice(0, 19), l.level, l.subsystem || l.svc || '', l.msg || '', extra]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.appendChild(td);
    }
    tr.lastChild.className = 'extra';
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 20;
    body.appendChild(tr);
    while (body.rows.length > 2000) body.deleteRow(0);
    if (atBottom) box.scrollTop = box.scrollHeight;
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const live = document.querySelector('[data-live-url]');
  if (live) liveDashboard(live);
  const log = document.querySelector('table.log[data-stream]');
  if (log) { logTail(log); log.parentElement.scrollTop = log.parentElement.scrollHeight; }
});
