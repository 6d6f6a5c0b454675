/** A scrolling list with a highlighted selection: menus, server lists, revisions. */
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import { drawLine, type Area, type Line } from './view.js';

export interface ListItem<T> {
  line: Line;
  /** A key that activates the item directly (menus: '1', '2', ... 'q'). */
  hotkey?: string;
  /** Headings and spacers are not selectable. */
  selectable?: boolean;
  value?: T;
}

export class SelectList<T> {
  selected = -1;
  private top = 0;
  private height = 1;

  constructor(public items: ListItem<T>[], private readonly activate: (item: ListItem<T>) => void | Promise<void>) {
    this.selected = this.next(-1, 1);
  }

  /** Replace the items, keeping the selection on the same value (live lists). */
  setItems(items: ListItem<T>[], same: (a: T | undefined, b: T | undefined) => boolean = (a, b) => a === b): void {
    const cur = this.items[this.selected]?.value;
    this.items = items;
    const again = items.findIndex((i) => i.selectable !== false && same(i.value, cur));
    this.selected = again >= 0 ? again : this.next(-1, 1);
  }

  get current(): ListItem<T> | undefined { return this.items[this.selected]; }

  private next(from: number, dir: 1 | -1): number {
    for (let i = from + dir; i >= 0 && i < this.items.length; i += dir) if (this.items[i]!.selectable !== false) return i;
    return from >= 0 && from < this.items.length ? from : -1;
  }

  private move(dir: 1 | -1, steps = 1): void {
    let s = this.selected;
    for (let n = 0; n < steps; n++) s = this.next(s, dir);
    this.selected = s;
  }

  render(s: Screen, a: Area): void {
    this.height = a.height;
    if (this.selected >= 0) {
      if (this.selected < this.top) this.top = this.selected;
      if (this.selected >= this.top + a.height) this.top = this.selected - a.height + 1;
    }
    // Headings just above the selection stay visible when scrolling up.
    while (this.top > 0 && this.items[this.top - 1]?.selectable === false && this.selected - this.top + 1 < a.height) this.top--;
    this.top = Math.max(0, Math.min(this.top, this.items.length - a.height));
    for (let r = 0; r < a.height; r++) {
      const i = this.top + r;
      const item = this.items[i];
      if (!item) break;
      const sel = i === this.selected;
      if (sel) s.fill(a.top + r, a.left, a.width, ' ', A.reverse);
      drawLine(s, a.top + r, a.left, item.line, a.width, sel ? A.reverse : 0);
    }
    if (this.top > 0) s.put(a.top, a.left + a.width - 1, s.glyphs.up, A.bold);
    if (this.top + a.height < this.items.length) s.put(a.top + a.height - 1, a.left + a.width - 1, s.glyphs.down, A.bold);
  }

  async key(k: Key): Promise<boolean> {
    switch (k.name) {
      case 'up': this.move(-1); return true;
      case 'down': this.move(1); return true;
      case 'pageup': this.move(-1, Math.max(1, this.height - 1)); return true;
      case 'pagedown': this.move(1, Math.max(1, this.height - 1)); return true;
      case 'home': this.selected = this.next(-1, 1); return true;
      case 'end': this.selected = this.next(this.items.length, -1); return true;
      case 'enter': {
        const item = this.current;
        if (item) await this.activate(item);
        return true;
      }
      case 'char': {
        const i = this.items.findIndex((it) => it.hotkey !== undefined && it.hotkey === k.ch);
        if (i >= 0) {
          this.selected = i;
          await this.activate(this.items[i]!);
          return true;
        }
        if (k.ch === 'k') { this.move(-1); return true; }
        if (k.ch === 'j') { this.move(1); return true; }
        return false;
      }
      default: return false;
    }
  }
}
