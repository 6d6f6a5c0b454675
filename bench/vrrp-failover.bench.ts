/**
 * Failover time, lbd vs keepalived, same topology, same run: a master and a
 * backup on one bridge, a client capturing. The master is killed (SIGKILL of
 * every process of its node: a crash) or stopped (SIGTERM: a planned failover);
 * the time is from the signal to the first gratuitous ARP for the VIP seen by
 * the client, the signal coming half an advert interval after one of the
 * master's adverts (so master_down_interval − interval/2 is the ideal). Also: the time from the dead master's last advert to that ARP,
 * against the RFC master_down_interval (the part an implementation controls).
 * Both daemons send one GARP burst (garp_master_delay 0) so runs do not overlap.
 */
import type { BenchModule, BenchResult } from './run.js';
import { median, ratio } from './run.js';
import { Capture, KeepalivedNode, LbdNode, VrrpLab, VIP1, garpRe, keepalivedConf, namespacePids, vrrpConfig } from '../test/lib/vrrp-lab.js';
import { waitFor } from '../test/lib/netns.js';
import { lbnet } from '../src/net/native.js';

interface Setting { version: 2 | 3; interval: number }
type Impl = 'lbd' | 'keepalived';
interface Sample { kill: number; fromLastAdvert: number }

const SETTINGS: Setting[] = [{ version: 2, interval: 1 }, { version: 3, interval: 0.1 }];
const MASTER_PRIO = 150;
const BACKUP_PRIO = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const masterDown = (s: Setting) => (3 * s.interval + (s.version === 3 ? ((256 - BACKUP_PRIO) * s.interval) / 256 : (256 - BACKUP_PRIO) / 256)) * 1000;

/** One node running either daemon, with the few verbs the benchmark needs. */
class Node {
  private lbd?: LbdNode;
  private ka?: KeepalivedNode;
  constructor(readonly impl: Impl, vl: VrrpLab, ns: string, name: string, private readonly s: Setting, private readonly prio: number) {
    if (impl === 'lbd') this.lbd = new LbdNode(vl, ns, name); else this.ka = new KeepalivedNode(vl, ns, name);
  }

  async start(): Promise<void> {
    const { version, interval } = this.s;
    if (this.lbd) {
      await this.lbd.start(vrrpConfig({ VI_1: { interface: 'eth0', virtual_router_id: 51, priority: this.prio, version, advert_int: interval, garp_master_delay: 0, virtual_ipaddress: [`${VIP1}/24`] } },
        { global: { logging: { level: 'info' } } }));
    } else {
      await this.ka!.start(keepalivedConf({ version, priority: this.prio, advertInt: interval, globalDefs: ['vrrp_garp_master_delay 0'] }));
    }
  }

  async waitState(state: 'MASTER' | 'BACKUP', timeoutMs = 15_000): Promise<void> {
    if (this.lbd) await this.lbd.waitState('VI_1', state, timeoutMs); else await this.ka!.waitState('VI_1', state, timeoutMs);
  }

  pids(): Promise<number[]> { return namespacePids(this.lbd?.ns ?? this.ka!.ns); }
  crash(pids: number[]): Promise<number> { return this.lbd ? this.lbd.crash(pids) : this.ka!.crash(pids); }
  terminate(): Promise<number> { return this.lbd ? this.lbd.terminate() : this.ka!.terminate(); }
}

async function measure(impl: Impl, s: Setting, runs: number, how: 'crash' | 'terminate', log: (m: string) => void): Promise<Sample[]> {
  const vl = await VrrpLab.create('bf');
  try {
    const master = new Node(impl, vl, await vl.host('m', 1), 'm', s, MASTER_PRIO);
    const backup = new Node(impl, vl, await vl.host('b', 2), 'b', s, BACKUP_PRIO);
    const cap = await Capture.start(vl, await vl.host('c', 9), ['arp or vrrp'], { realtime: true });
    await backup.start();
    await master.start();
    await master.waitState('MASTER');
    await backup.waitState('BACKUP');
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      // Kill half an interval after one of the master's adverts: the same phase for both daemons,
      // so the signal-to-GARP times compare without the noise of where in the cycle a crash falls.
      await sleep(1000);
      const pids = await master.pids();
      const advert = await cap.first(/198\.18\.0\.1 > 224\.0\.0\.18: VRRP/, Date.now(), 5000);
      // Adverts are periodic: aim at a later cycle rather than trusting how fast we saw this one.
      let target = advert.ts + s.interval * 500;
      while (target < Date.now() + 20) target += s.interval * 1000;
      await sleep(target - Date.now());
      const t0 = how === 'crash' ? await master.crash(pids) : await master.terminate();
      const garp = await cap.first(garpRe(VIP1), t0, 10_000);
      const lastAdvert = cap.lines.filter((l) => l.ts < t0 && /198\.18\.0\.1 > 224\.0\.0\.18: VRRP/.test(l.text)).at(-1)?.ts ?? t0;
      samples.push({ kill: garp.ts - t0, fromLastAdvert: garp.ts - lastAdvert });
      log(`${impl} v${s.version} ${s.interval}s ${how} #${i + 1}: ${Math.round(garp.ts - t0)} ms after the signal, ${Math.round(garp.ts - lastAdvert)} ms after the last advert`);
      await backup.waitState('MASTER');
      await master.start();
      await master.waitState('MASTER');
      await backup.waitState('BACKUP');
      // The takeover's GARP burst must be over before the next run starts.
      await waitFor('quiet segment', () => !cap.lines.some((l) => l.ts > Date.now() - 500 && /ARP/.test(l.text)) || undefined, 10_000);
    }
    cap.stop();
    return samples;
  } finally {
    await vl.cleanup();
  }
}

export const run: BenchModule['run'] = async ({ quick, log }) => {
  const runs = quick ? 1 : 3;
  // The kill must land at the intended phase of the advert cycle: on a loaded machine an
  // ordinary timer here is tens of ms late, which would blur the comparison. Priority 5 stays
  // below lbd's engine (10), so the measuring side never preempts what it measures.
  try { lbnet.setRealtime(5, 2_000_000); } catch (e) { log(`benchmark not realtime (${(e as Error).message}): expect noisier phases`); }
  const out: BenchResult[] = [];
  // The quick run: the fast-advert setting only, crashes only (each lab costs seconds of set-up).
  for (const s of quick ? SETTINGS.filter((x) => x.version === 3) : SETTINGS) {
    const tag = `v${s.version}_${s.interval}s`;
    const md = masterDown(s);
    const kill: Record<Impl, Sample[]> = { lbd: await measure('lbd', s, runs, 'crash', log), keepalived: await measure('keepalived', s, runs, 'crash', log) };
    const lbdKill = median(kill.lbd.map((x) => x.kill));
    const kaKill = median(kill.keepalived.map((x) => x.kill));
    out.push({ name: `vrrp_failover_sigkill_${tag}`, unit: 'ms', lbd: Math.round(lbdKill), ref: Math.round(kaKill), ratio: ratio(lbdKill, kaKill), runs,
      note: `SIGKILL of the master to first GARP at the client; master_down_interval ${Math.round(md)} ms` });
    const lbdLast = median(kill.lbd.map((x) => x.fromLastAdvert));
    const kaLast = median(kill.keepalived.map((x) => x.fromLastAdvert));
    const lbdWorst = Math.max(...kill.lbd.map((x) => x.fromLastAdvert)) - md;
    out.push({ name: `vrrp_failover_from_last_advert_${tag}`, unit: 'ms', lbd: Math.round(lbdLast * 10) / 10, ref: Math.round(kaLast * 10) / 10, ratio: ratio(lbdLast, kaLast), runs,
      note: `dead master's last advert to first GARP; master_down_interval ${Math.round(md * 10) / 10} ms, lbd beyond it: median ${Math.round((lbdLast - md) * 10) / 10} ms, worst ${Math.round(lbdWorst * 10) / 10} ms (target ≤ 30)` });
    if (quick) continue;
    const term: Record<Impl, Sample[]> = { lbd: await measure('lbd', s, runs, 'terminate', log), keepalived: await measure('keepalived', s, runs, 'terminate', log) };
    const lbdTerm = median(term.lbd.map((x) => x.kill));
    const kaTerm = median(term.keepalived.map((x) => x.kill));
    out.push({ name: `vrrp_failover_sigterm_${tag}`, unit: 'ms', lbd: Math.round(lbdTerm), ref: Math.round(kaTerm), ratio: ratio(lbdTerm, kaTerm), runs,
      note: 'planned failover: SIGTERM of the master (priority 0) to first GARP at the client' });
  }
  return out;
};
