/**
 * The parser and validator only ever return diagnostics: mutated and random
 * inputs (a bounded, seeded set, reproducible from the printed seed) never
 * throw and never take long.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText, validateRaw } from '../../src/config/load.js';
import { errorsOf } from '../../src/config/diagnostics.js';
import { example, fixture } from '../lib/paths.js';

/** mulberry32: small, seedable PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1e9);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 1500);
const SPICE = ['{', '}', '"', "'", '\\', '#', '!', '\n', ' ', ':', '-', '[', ']', '*', '&a', '*a', '%', '@', '$X=', '\0', '\t', '0', '999999999999', '-1', '255', 'include *', '/', '::', '1.2.3.4', 'ffff::1'];

function mutate(src: string, rnd: () => number): string {
  let s = src;
  const n = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(rnd() * (s.length + 1));
    switch (Math.floor(rnd() * 7)) {
      case 0: s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rnd() * 20)); break; // delete
      case 1: s = s.slice(0, pos) + SPICE[Math.floor(rnd() * SPICE.length)] + s.slice(pos); break; // insert token
      case 2: s = s.slice(0, pos) + String.fromCharCode(Math.floor(rnd() * 0x3000)) + s.slice(pos); break; // random char
      case 3: { const lines = s.split('\n'); const a = Math.floor(rnd() * lines.length); lines.splice(a, 0, lines[Math.floor(rnd() * lines.length)]!); s = lines.join('\n'); break; } // dup line
      case 4: { const lines = s.split('\n'); const a = Math.floor(rnd() * lines.length), b = Math.floor(rnd() * lines.length); [lines[a], lines[b]] = [lines[b]!, lines[a]!]; s = lines.join('\n'); break; } // swap lines
      case 5: s = s.slice(0, pos); break; // truncate
      default: s = s.replace(/\d+/, String(Math.floor(rnd() * 70000) - 5)); // change a number
    }
  }
  return s;
}

test(`parser and validator survive mutated and random input (seed ${SEED}, ${ROUNDS} rounds)`, { timeout: 120_000 }, () => {
  const rnd = prng(SEED);
  const dir = mkdtempSync(join(tmpdir(), 'lbfuzz-'));
  writeFileSync(join(dir, 'inc.conf'), 'vrrp_script s {\n script /bin/true\n}\n');
  const corpus = [
    ...readdirSync(example()).flatMap((d) => readdirSync(example(d)).map((f) => readFileSync(example(d, f), 'utf8'))),
    ...readdirSync(fixture('keepalived')).filter((f) => f.endsWith('.conf')).map((f) => readFileSync(fixture('keepalived', f), 'utf8')),
  ];
  let slowest = 0, valid = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const input = i % 10 === 9
      ? Array.from({ length: Math.floor(rnd() * 400) }, () => SPICE[Math.floor(rnd() * SPICE.length)]! + (rnd() < 0.3 ? 'x' : '')).join('')
      : mutate(corpus[Math.floor(rnd() * corpus.length)]!, rnd);
    const start = performance.now();
    let r;
    try {
      r = parseConfigText(input, join(dir, 'fuzz.conf'));
    } catch (e) {
      assert.fail(`round ${i} (seed ${SEED}) threw ${(e as Error).stack}\ninput: ${JSON.stringify(input)}`);
    }
    const ms = performance.now() - start;
    slowest = Math.max(slowest, ms);
    assert.ok(ms < 2000, `round ${i} (seed ${SEED}) took ${ms} ms\ninput: ${JSON.stringify(input)}`);
    assert.ok(Array.isArray(r.diagnostics));
    if (r.config) { valid++; assert.deepEqual(errorsOf(r.diagnostics), []); }
    else assert.ok(errorsOf(r.diagnostics).length > 0, `round ${i}: no config and no error\ninput: ${JSON.stringify(input)}`);
  }
  // Sanity that mutation keeps some inputs valid, so both paths were exercised.
  assert.ok(valid > 0, 'no mutated input stayed valid');
  process.stderr.write(`fuzz: ${ROUNDS} inputs, ${valid} valid, slowest ${slowest.toFixed(1)} ms\n`);
});

test('validateRaw survives arbitrary JSON values (API bodies)', () => {
  const rnd = prng(SEED + 1);
  const atoms = [null, true, 0, -1, 1.5, 1e308, '', 'x', '198.18.0.1', [], {}];
  const gen = (d: number): unknown => {
    if (d > 4 || rnd() < 0.3) return atoms[Math.floor(rnd() * atoms.length)];
    if (rnd() < 0.5) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(d + 1));
    const keys = ['global', 'vrrp_instances', 'virtual_servers', 'VI_1', 'interface', 'virtual_router_id', 'virtual_ipaddress', 'real_servers', 'address', 'port', 'checks', 'type', 'url', 'l7', '__proto__', 'constructor'];
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [keys[Math.floor(rnd() * keys.length)]!, gen(d + 1)]));
  };
  for (let i = 0; i < 2000; i++) {
    const v = gen(0);
    const r = validateRaw(v);
    assert.ok(Array.isArray(r.diagnostics));
    if (!r.config) assert.ok(errorsOf(r.diagnostics).length > 0, JSON.stringify(v));
  }
});
