/**
 * HTTP_GET and SSL_GET: a lean HTTP/1.x client on plain net/tls sockets. Every
 * url block is fetched on its own connection, in order; the attempt passes when
 * each one answers with an accepted status, digest and regex. Each fetch must
 * complete (connect, TLS, request, whole response) within connect_timeout, so an
 * attempt is bounded (keepalived's timeout is per read, which a trickling
 * server can stretch without end).
 *
 * Thousands of these run every second, so per-fetch work is kept to the socket
 * itself: request bytes are built once, reads land in one shared buffer, event
 * handlers are bound once per url, plain sockets are reused (reused-socket.ts),
 * TLS contexts are built once per checker.
 */
import { readFileSync } from 'node:fs';
import type { NetConnectOpts } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, createSecureContext, type ConnectionOptions, type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls';
import type { HttpCheck, HttpUrl } from '../config/model.js';
import { endpointKey } from '../config/resolve.js';
import { connectOptions, describeSocketError, secs, type CheckResult, type Checker } from './checker.js';
import { HttpResponseReader } from './http-response.js';
import { ReusedSocket } from './reused-socket.js';

/** Reads from every check land here: only one callback runs at a time and the reader copies what it keeps. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** keepalived's User-Agent, kept so web server rules written for keepalived's checks (log filters) still apply. */
const USER_AGENT = 'KeepAliveClient';

export function buildRequest(check: HttpCheck, url: HttpUrl): Buffer {
  const vhost = url.virtualhost ?? check.virtualhost;
  const ip = check.connect_ip;
  const host = vhost ?? endpointKey(ip, check.connect_port);
  const minor = check.http_protocol === '1.1' ? 1 : 0;
  const close = check.http_protocol === '1.0' ? '' : 'Connection: close\r\n';
  return Buffer.from(`GET ${url.path} HTTP/1.${minor}\r\nUser-Agent: ${USER_AGENT}\r\n${close}Host: ${host}\r\n\r\n`, 'latin1');
}

interface TlsSetup { context?: SecureContext; error?: string; sni: boolean; sniName?: string; verify: boolean; verifyName?: string }

function tlsSetup(check: HttpCheck): TlsSetup {
  const base = { sni: check.enable_sni || !!check.sni_name, sniName: check.sni_name, verify: !!check.tls_verify, verifyName: check.tls_verify?.name };
  try {
    return { ...base, context: createSecureContext(check.tls_verify ? { ca: readFileSync(check.tls_verify.ca) } : {}) };
  } catch (e) {
    return { ...base, error: `cannot load CA file ${check.tls_verify?.ca}: ${(e as Error).message}` };
  }
}

type Phase = 'connect' | 'tls' | 'response';

/** OpenSSL errors carry their words in `reason` (the message adds addresses of OpenSSL's source); others in the message. */
function tlsErrorText(e: NodeJS.ErrnoException & { library?: string; reason?: string }): string {
  if (e.code === 'ECONNRESET') return 'connection reset';
  return e.library && e.reason ? e.reason : e.message;
}

/** One url block: its request, its reader and its socket handlers, reused by every attempt. */
class UrlFetch {
  private readonly reader: HttpResponseReader;
  /** Plain HTTP: one socket, connected again for each attempt. */
  private readonly plain: ReusedSocket | null = null;
  private readonly tlsOpts: ConnectionOptions | null = null;
  /** SSL_GET: a TLS socket per attempt (a TLS session cannot be restarted on the same object). */
  private tlsSocket: TLSSocket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private phase: Phase = 'connect';
  private resolve: ((failure: string | null) => void) | null = null;

  constructor(readonly url: HttpUrl, private readonly request: Buffer, base: NetConnectOpts & { host: string },
    private readonly tls: TlsSetup | null, private readonly timeoutMs: number, checkVirtualhost?: string) {
    this.reader = new HttpResponseReader(url);
    const onread = { buffer: READ_BUFFER, callback: this.onRead };
    if (!tls) {
      this.plain = new ReusedSocket(base, { connect: this.onConnect, end: this.onEnd, error: this.onError }, onread);
      return;
    }
    const verifyName = tls.verifyName;
    // SNI as keepalived picks it: sni_name, then the url's or the check's virtualhost. An sni_name alone turns it on.
    const servername = tls.sni ? tls.sniName ?? url.virtualhost ?? checkVirtualhost : undefined;
    // tls.connect takes onread like net.connect (its typings omit it).
    this.tlsOpts = {
      ...(base as ConnectionOptions), ...({ onread } as ConnectionOptions), secureContext: tls.context, servername,
      rejectUnauthorized: tls.verify,
      ...(verifyName ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(verifyName, cert) } : {}),
    };
  }

  get status(): number { return this.reader.status; }

  /** null when the url passes, else why it failed. */
  run(): Promise<string | null> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.reader.reset();
      this.phase = 'connect';
      this.timer = setTimeout(this.onTimeout, this.timeoutMs);
      if (this.plain) { this.plain.connect(); return; }
      if (this.tls!.error) { this.finish(this.tls!.error); return; }
      const s = this.tlsSocket = tlsConnect(this.tlsOpts!);
      s.on('connect', this.onConnect);
      s.on('secureConnect', this.onReady);
      s.on('end', this.onEnd);
      s.on('error', this.onError);
      // A TLS socket can close without 'end' (handshake cut short); only the current one counts.
      s.on('close', () => { if (this.tlsSocket === s) this.onEnd(); });
    });
  }

  abort(): void { this.finish('aborted'); }

  private readonly onConnect = () => {
    if (this.tls) this.phase = 'tls';
    else this.onReady();
  };

  private readonly onReady = () => {
    this.phase = 'response';
    (this.plain?.socket ?? this.tlsSocket)!.write(this.request);
  };

  private readonly onRead = (n: number, buf: Buffer): boolean => {
    const state = this.reader.feed(buf, n);
    if (state === 'failed') this.finish(`${this.reader.failure} on ${this.url.path}`);
    else if (state === 'complete') this.finishResponse();
    return true;
  };

  private readonly onEnd = () => { if (this.phase === 'response') this.finishResponse(); else this.finish(`connection closed ${this.phase === 'tls' ? 'during the TLS handshake' : 'while connecting'}`); };

  private readonly onError = (e: NodeJS.ErrnoException) => {
    if (this.phase === 'tls') this.finish(`TLS handshake failed: ${tlsErrorText(e)}`);
    else if (this.phase === 'response') this.finish(`${describeSocketError(e, 'while reading the response')} on ${this.url.path}`);
    else this.finish(describeSocketError(e));
  };

  private readonly onTimeout = () => {
    const t = secs(this.timeoutMs);
    if (this.phase === 'connect') this.finish(`connect timeout after ${t}`);
    else if (this.phase === 'tls') this.finish(`TLS handshake timeout after ${t}`);
    else if (this.reader.bytesReceived === 0) this.finish(`no response within ${t} on ${this.url.path}`);
    else this.finish(`response incomplete after ${t} on ${this.url.path} (${this.reader.bytesReceived} bytes)`);
  };

  private finishResponse(): void {
    const why = this.reader.finish();
    this.finish(why && `${why} on ${this.url.path}`);
  }

  private finish(failure: string | null): void {
    const resolve = this.resolve;
    if (!resolve) return;
    this.resolve = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.plain?.destroy();
    const t = this.tlsSocket;
    this.tlsSocket = null;
    t?.destroy();
    resolve(failure);
  }
}

export class HttpChecker implements Checker {
  readonly usesProcess = false;
  private readonly fetches: UrlFetch[];
  private current: UrlFetch | null = null;
  private aborted = false;

  constructor(check: HttpCheck) {
    const base = connectOptions(check);
    const tls = check.type === 'SSL_GET' ? tlsSetup(check) : null;
    this.fetches = check.url.map((u) => new UrlFetch(u, buildRequest(check, u), base, tls, check.connect_timeout * 1000, check.virtualhost));
  }

  async run(): Promise<CheckResult> {
    const started = performance.now();
    this.aborted = false;
    let message = 'HTTP';
    for (const f of this.fetches) {
      this.current = f;
      const failure = await f.run();
      this.current = null;
      if (failure || this.aborted) return { ok: false, message: failure ?? 'aborted', latencyMs: performance.now() - started };
      message += `${message.length > 4 ? ',' : ''} ${f.status} on ${f.url.path}`;
    }
    return { ok: true, message, latencyMs: performance.now() - started };
  }

  abort(): void {
    this.aborted = true;
    this.current?.abort();
  }
}
