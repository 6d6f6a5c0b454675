/** Diagnostics screen: ping, TCP connect, HTTP GET from this node, output as it comes; Esc stops a running test. */
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import type { App } from '../ui/app.js';
import { Form } from '../ui/form.js';
import { Pager } from '../ui/pager.js';
import type { Area, View } from '../ui/view.js';
import { runDiagnostic, targetProblem, type DiagKind } from '../diagnostics.js';

const EXAMPLES: Record<DiagKind, string> = { ping: 'host name or address', tcp: 'HOST:PORT, e.g. 198.18.0.11:80', http: 'URL, e.g. http://198.18.0.11/index.html' };

export class DiagnosticsScreen implements View {
  readonly title = 'Diagnostics';
  private readonly out = new Pager(['Choose a test and a target, then Run.']);
  private running?: AbortController;
  private readonly form: Form;

  constructor(private readonly app: App) {
    const kind = () => this.form.value('kind') as DiagKind;
    this.form = new Form([
      { kind: 'choice', id: 'kind', label: 'Test', options: ['ping', 'tcp', 'http'], value: 'ping', hint: 'Left/Right: ping, TCP connect, HTTP GET' },
      { kind: 'text', id: 'target', label: 'Target', value: '', width: 56, hint: 'see the examples below', check: (v) => targetProblem(kind(), v) },
      { kind: 'button', id: 'run', label: 'Run' },
    ], () => this.run(kind(), this.form.value('target')), 10);
  }

  closed(): void { this.running?.abort(); }

  private async run(kind: DiagKind, target: string): Promise<void> {
    if (this.running) return;
    const ctl = new AbortController();
    this.running = ctl;
    this.out.set([[{ text: `${kind} ${target}`, attr: A.bold }]]);
    this.out.follow = true;
    await runDiagnostic(kind, target, (line, bad) => { this.out.append([bad ? [{ text: line, attr: A.red | A.bold }] : line]); this.app.render(); }, ctl.signal);
    this.running = undefined;
    this.app.render();
  }

  hints(): string { return this.running ? 'running ...  Esc stop' : 'Up/Down move  Left/Right test  Enter run  PgUp/PgDn output  Esc back'; }

  render(s: Screen, a: Area): void {
    this.form.field('target').hint = EXAMPLES[this.form.value('kind') as DiagKind];
    this.form.render(s, { ...a, height: 6 });
    s.fill(a.top + 6, a.left, a.width, s.glyphs.h);
    this.out.render(s, { ...a, top: a.top + 7, height: a.height - 7 });
  }

  async key(k: Key): Promise<boolean> {
    if (this.running) {
      if (k.name === 'escape') { this.running.abort(); return true; }
      return this.out.key(k);
    }
    if (k.name === 'pageup' || k.name === 'pagedown') return this.out.key(k);
    return this.form.key(k);
  }
}
