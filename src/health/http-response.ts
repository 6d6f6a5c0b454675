/**
 * Incremental reader of one HTTP/1.x response for HTTP_GET/SSL_GET, fed from a
 * shared read buffer (the socket's `onread` buffer, overwritten after each
 * callback), so it copies only what it must keep: the header (bounded) and, when
 * a regex is configured, the body (bounded).
 *
 * The digest is keepalived's (genhash's): MD5 of the body bytes as received
 * after the blank line, no more than Content-Length of them when the header
 * gives one, never de-chunked.
 */
import { createHash, type Hash } from 'node:crypto';
import type { HttpUrl } from '../config/model.js';

/** Longest header block accepted; keepalived reads into a 4 KiB buffer. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Most body bytes kept for a regex match (the digest covers the whole body). */
export const MAX_REGEX_BODY_BYTES = 1024 * 1024;

export type FeedState = 'more' | 'complete' | 'failed';

export class HttpResponseReader {
  status = 0;
  /** -1 when the header has no Content-Length. */
  contentLength = -1;
  bodyBytes = 0;
  /** Set when the response fails before its end (bad status, malformed header). */
  failure: string | null = null;
  /** Only for a header split over reads (rare): allocated then, kept for later attempts. */
  private header: Buffer | null = null;
  private headerLen = 0;
  private headerDone = false;
  private md5: Hash | null = null;
  private bodyChunks: Buffer[] = [];
  private keptBody = 0;
  private readonly regex: RegExp | null;

  constructor(private readonly url: HttpUrl) {
    // Validated by the semantic pass. No flags, as keepalived compiles with PCRE2's default options.
    this.regex = url.regex ? new RegExp(url.regex) : null;
  }

  reset(): void {
    this.status = 0;
    this.contentLength = -1;
    this.bodyBytes = 0;
    this.failure = null;
    this.headerLen = 0;
    this.headerDone = false;
    this.md5 = this.url.digest ? createHash('md5') : null;
    this.bodyChunks = [];
    this.keptBody = 0;
  }

  get bytesReceived(): number { return this.headerDone ? this.headerLen + this.bodyBytes : this.headerLen; }
  get gotHeader(): boolean { return this.headerDone; }

  /** Feed `buf[0, n)`. 'complete' once Content-Length bytes arrived; 'failed' as soon as the answer is known bad. */
  feed(buf: Buffer, n: number): FeedState {
    if (this.failure) return 'failed';
    let start = 0;
    if (!this.headerDone) {
      // Usual case: the whole header is in the first read; parse it in place, copy nothing.
      const direct = this.headerLen === 0 ? findHeaderEnd(buf, 0, n) : -1;
      if (direct > MAX_HEADER_BYTES) return this.fail(`HTTP header longer than ${MAX_HEADER_BYTES} bytes`);
      if (direct >= 0) {
        start = direct;
        this.headerLen = direct;
        this.headerDone = true;
        if (!this.parseHeader(buf)) return 'failed';
      } else {
        // The header spans reads: gather it (the read buffer is reused after this call).
        const h = this.header ??= Buffer.allocUnsafe(MAX_HEADER_BYTES);
        const take = Math.min(MAX_HEADER_BYTES - this.headerLen, n);
        buf.copy(h, this.headerLen, 0, take);
        // Search from a little before the new bytes: the blank line may straddle two reads.
        const from = Math.max(0, this.headerLen - 3);
        this.headerLen += take;
        const end = findHeaderEnd(h, from, this.headerLen);
        if (end < 0) {
          if (this.headerLen >= MAX_HEADER_BYTES) return this.fail(`HTTP header longer than ${MAX_HEADER_BYTES} bytes`);
          return 'more';
        }
        // Bytes of this read past the header belong to the body.
        start = take - (this.headerLen - end);
        this.headerLen = end;
        this.headerDone = true;
        if (!this.parseHeader(h)) return 'failed';
      }
    }
    if (n > start) this.body(buf, start, n);
    return this.contentLength >= 0 && this.bodyBytes >= this.contentLength ? 'complete' : 'more';
  }

  /** The verdict once the response ended (EOF or Content-Length reached): null when it passes. */
  finish(): string | null {
    if (this.failure) return this.failure;
    if (!this.headerDone) return this.headerLen ? 'incomplete HTTP header' : 'connection closed without a response';
    if (this.md5) {
      const got = this.md5.digest('hex');
      this.md5 = null;
      if (got !== this.url.digest) return `MD5 digest ${got} instead of ${this.url.digest}`;
    }
    if (this.regex) {
      const text = Buffer.concat(this.bodyChunks, this.keptBody).toString('utf8');
      this.bodyChunks = [];
      const matched = this.regex.test(text);
      if (matched === this.url.regex_no_match) return this.url.regex_no_match ? `body matches /${this.url.regex}/` : `body does not match /${this.url.regex}/`;
    }
    return null;
  }

  private fail(why: string): FeedState {
    this.failure = why;
    return 'failed';
  }
  /** Status and Content-Length; fails the response on a status outside the accepted ranges. */
  private parseHeader(h: Buffer): boolean {
    const why = this.headerProblem(h);
    if (why) this.failure = why;
    return !why;
  }

  private headerProblem(h: Buffer): string | null {
    // Status line: HTTP/x.y SP NNN [SP reason]. keepalived insists on the reason's space; a bare code is legal too.
    const sp = h.indexOf(0x20, 5);
    if (this.headerLen < 12 || h[0] !== 0x48 || h[1] !== 0x54 || h[2] !== 0x54 || h[3] !== 0x50 || h[4] !== 0x2f || sp < 0 || sp > 12)
      return 'malformed HTTP status line';
    const d0 = h[sp + 1]! - 48, d1 = h[sp + 2]! - 48, d2 = h[sp + 3]! - 48, after = h[sp + 4];
    if (!(d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) || (after !== 0x20 && after !== 0x0d && after !== 0x0a))
      return 'malformed HTTP status line';
    this.status = d0 * 100 + d1 * 10 + d2;
    if (!this.url.status_code.some(([lo, hi]) => this.status >= lo && this.status <= hi)) return `HTTP status ${this.status}`;
    this.contentLength = contentLength(h, this.headerLen);
    return null;
  }

  private body(buf: Buffer, start: number, end: number): void {
    let n = end - start;
    if (this.contentLength >= 0) n = Math.min(n, this.contentLength - this.bodyBytes);
    if (n <= 0) return;
    this.bodyBytes += n;
    this.md5?.update(buf.subarray(start, start + n));
    if (this.regex && this.keptBody < MAX_REGEX_BODY_BYTES) {
      const k = Math.min(n, MAX_REGEX_BODY_BYTES - this.keptBody);
      // Copy: the read buffer is reused for the next read.
      this.bodyChunks.push(Buffer.from(buf.subarray(start, start + k)));
      this.keptBody += k;
    }
  }
}

/** Offset just past the header's blank line (CRLF CRLF, or a bare LF LF), or -1. */
export function findHeaderEnd(b: Buffer, from: number, to: number): number {
  for (let i = from; i < to - 1; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i + 1] === 0x0a) return i + 2;
    if (b[i + 1] === 0x0d && i + 2 < to && b[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

const CONTENT_LENGTH = Buffer.from('content-length:');

/** The Content-Length header's value in `h[0, end)`, or -1: a byte scan, this runs for every response. */
export function contentLength(h: Buffer, end: number): number {
  const n = CONTENT_LENGTH.length;
  for (let i = h.indexOf(0x0a); i >= 0 && i + n < end; i = h.indexOf(0x0a, i + 1)) {
    let j = 0;
    for (; j < n; j++) {
      const b = h[i + 1 + j]!;
      if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== CONTENT_LENGTH[j]) break; // header names are case-insensitive
    }
    if (j < n) continue;
    let k = i + 1 + n;
    while (k < end && (h[k] === 0x20 || h[k] === 0x09)) k++;
    let v = 0, digits = 0;
    while (k < end && h[k]! >= 0x30 && h[k]! <= 0x39 && digits < 15) { v = v * 10 + h[k]! - 0x30; k++; digits++; }
    return digits ? v : -1;
  }
  return -1;
}
