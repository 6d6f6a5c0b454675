/**
 * HAProxy's runtime API over its stats socket (level admin): one command per
 * connection, answered then closed. lbd uses it to read counters and server
 * states and to drain, disable, enable or re-weight a server without a reload.
 */
import { connect } from 'node:net';

/** The CLI chains commands with ";" and ends them at a newline: neither may come from a caller. */
const UNSAFE_COMMAND = /[;\r\n\x00]/;

export function haproxyCommand(socketPath: string, command: string, timeoutMs = 3000): Promise<string> {
  if (UNSAFE_COMMAND.test(command)) return Promise.reject(new Error(`unsafe HAProxy command ${JSON.stringify(command)}`));
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`HAProxy runtime API: no answer to "${command}" within ${timeoutMs} ms`)); }, timeoutMs);
    sock.on('connect', () => sock.end(`${command}\n`));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString()); });
  });
}

/** `show info` as a map (Name, Version, Pid, description, ...). */
export async function showInfo(socketPath: string, timeoutMs?: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await haproxyCommand(socketPath, 'show info', timeoutMs)).split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** One row of `show stat` (CSV with a "# pxname,svname,..." header), by column name. */
export type StatRow = Record<string, string>;

export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.length);
  const header = lines.shift();
  if (!header?.startsWith('# ')) throw new Error(`unexpected "show stat" output: ${JSON.stringify(csv.slice(0, 80))}`);
  const cols = header.slice(2).split(',');
  return lines.map((l) => {
    const f = splitCsv(l);
    return Object.fromEntries(cols.map((c, i) => [c, f[i] ?? '']));
  });
}

/** HAProxy quotes text fields that contain a comma or quote ("" inside for a quote). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

export async function showStat(socketPath: string): Promise<StatRow[]> {
  return parseShowStat(await haproxyCommand(socketPath, 'show stat'));
}

export type AdminState = 'ready' | 'drain' | 'maint';

/** Run a "set server" command; HAProxy answers with nothing on success and with the reason otherwise. */
export async function setServer(socketPath: string, backend: string, server: string, what: string): Promise<void> {
  const answer = (await haproxyCommand(socketPath, `set server ${backend}/${server} ${what}`)).trim();
  if (answer) throw new Error(`HAProxy refused "set server ${backend}/${server} ${what}": ${answer}`);
}
