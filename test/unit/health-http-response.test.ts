import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { HttpResponseReader, MAX_HEADER_BYTES, contentLength, findHeaderEnd } from '../../src/health/http-response.js';
import type { HttpUrl } from '../../src/config/model.js';

const url = (o: Partial<HttpUrl> = {}): HttpUrl => ({ path: '/', status_code: [[200, 299]], regex_no_match: false, ...o });
const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

/** Feed `text` in pieces of `step` bytes through a reused buffer, as the socket's onread does. */
function feedAll(r: HttpResponseReader, text: string | Buffer, step = 1 << 20): string {
  const data = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const shared = Buffer.alloc(Math.max(step, 1));
  r.reset();
  for (let i = 0; i < data.length; i += step) {
    const n = data.copy(shared, 0, i, Math.min(i + step, data.length));
    const st = r.feed(shared, n);
    shared.fill(0x58); // the next read overwrites the buffer: the reader must not keep references into it
    if (st !== 'more') return st;
  }
  return 'eof';
}

test('status line: accepted, rejected and malformed', () => {
  const r = new HttpResponseReader(url());
  feedAll(r, 'HTTP/1.1 200 OK\r\nServer: x\r\n\r\nhello');
  assert.equal(r.status, 200);
  assert.equal(r.finish(), null);

  assert.equal(feedAll(r, 'HTTP/1.0 503 Service Unavailable\r\n\r\n'), 'failed');
  assert.equal(r.finish(), 'HTTP status 503');

  feedAll(r, 'HTTP/1.1 204\r\n\r\n'); // no reason phrase: legal
  assert.equal(r.finish(), null);

  for (const bad of ['SSH-2.0-OpenSSH_9.2\r\n\r\n', 'HTTP/1.1 2000 OK\r\n\r\n', 'HTTP/1.1 abc OK\r\n\r\n', 'HTTP/1.1 099 x\r\n\r\n']) {
    assert.equal(feedAll(r, bad), 'failed', bad);
    assert.equal(r.finish(), 'malformed HTTP status line', bad);
  }
});

test('status ranges from the config', () => {
  const r = new HttpResponseReader(url({ status_code: [[200, 200], [301, 302]] }));
  for (const [code, ok] of [[200, true], [201, false], [301, true], [302, true], [303, false]] as const) {
    feedAll(r, `HTTP/1.1 ${code} X\r\n\r\n`);
    assert.equal(r.finish() === null, ok, String(code));
  }
});

test('no response, partial header, oversized header', () => {
  const r = new HttpResponseReader(url());
  r.reset();
  assert.equal(r.finish(), 'connection closed without a response');
  feedAll(r, 'HTTP/1.1 200 OK\r\nX: y');
  assert.equal(r.finish(), 'incomplete HTTP header');
  assert.equal(feedAll(r, `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`), 'failed');
  assert.match(r.finish()!, /HTTP header longer than/);
});

test('digest is MD5 of the raw body, split anywhere, limited by Content-Length (genhash rules)', () => {
  const body = 'Hello world\n'.repeat(300);
  const text = `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n${body}`;
  for (const step of [1, 2, 3, 5, 7, 64, 1000, 1 << 20]) {
    const r = new HttpResponseReader(url({ digest: md5(body) }));
    assert.equal(feedAll(r, text, step), 'eof');
    assert.equal(r.finish(), null, `step ${step}`);
  }
  // Bytes beyond Content-Length are not hashed, and the response is complete without waiting for EOF.
  const r = new HttpResponseReader(url({ digest: md5('abc') }));
  assert.equal(feedAll(r, 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabcdef', 4), 'complete');
  assert.equal(r.finish(), null);
  // Chunked bodies are hashed as received, chunk sizes included (genhash does not de-chunk).
  const chunked = '5\r\nhello\r\n0\r\n\r\n';
  const c = new HttpResponseReader(url({ digest: md5(chunked) }));
  feedAll(c, `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`, 3);
  assert.equal(c.finish(), null);
  const wrong = new HttpResponseReader(url({ digest: md5('other') }));
  feedAll(wrong, text);
  assert.equal(wrong.finish(), `MD5 digest ${md5(body)} instead of ${md5('other')}`);
});

test('binary body digest', () => {
  const body = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff));
  const r = new HttpResponseReader(url({ digest: md5(body) }));
  feedAll(r, Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), body]), 100);
  assert.equal(r.finish(), null);
});

test('regex must match (or must not, with regex_no_match), across read boundaries', () => {
  const text = 'HTTP/1.1 200 OK\r\n\r\n<html><body>status: <b>healthy</b></body></html>';
  const yes = new HttpResponseReader(url({ regex: 'status: <b>health' }));
  feedAll(yes, text, 3);
  assert.equal(yes.finish(), null);
  const no = new HttpResponseReader(url({ regex: 'status: <b>sick' }));
  feedAll(no, text, 3);
  assert.equal(no.finish(), 'body does not match /status: <b>sick/');
  const inverted = new HttpResponseReader(url({ regex: 'healthy', regex_no_match: true }));
  feedAll(inverted, text);
  assert.equal(inverted.finish(), 'body matches /healthy/');
});

test('the header end may straddle reads; a bare LF LF also ends it', () => {
  const b = Buffer.from('HTTP/1.1 200 OK\r\n\r\nx');
  assert.equal(findHeaderEnd(b, 0, b.length), 19);
  assert.equal(findHeaderEnd(Buffer.from('HTTP/1.1 200 OK\n\nx'), 0, 18), 17);
  assert.equal(findHeaderEnd(b, 0, 18), -1);
  const r = new HttpResponseReader(url({ digest: md5('body') }));
  for (let step = 1; step < 25; step++) {
    feedAll(r, 'HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody', step);
    assert.equal(r.finish(), null, `step ${step}`);
  }
});

test('Content-Length: any case, optional blanks, only in the header', () => {
  const cl = (text: string) => { const b = Buffer.from(text, 'latin1'); return contentLength(b, findHeaderEnd(b, 0, b.length)); };
  assert.equal(cl('HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n'), 42);
  assert.equal(cl('HTTP/1.1 200 OK\r\nX: y\r\ncontent-length:\t7\r\n\r\n'), 7);
  assert.equal(cl('HTTP/1.1 200 OK\r\nCONTENT-LENGTH:0\r\n\r\n'), 0);
  assert.equal(cl('HTTP/1.1 200 OK\r\nX-Content-Length: 5\r\n\r\n'), -1);
  assert.equal(cl('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n'), -1);
  assert.equal(cl('HTTP/1.1 200 OK\r\n\r\nContent-Length: 5\r\n'), -1);
  assert.equal(cl('HTTP/1.1 200 OK\r\nContent\rLength: 5\r\n\r\n'), -1);
});
