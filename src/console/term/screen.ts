/**
 * A character-cell screen: views draw into a buffer, flush() sends only the
 * cells that changed since the last flush (one cursor move per changed run),
 * which keeps a refresh to a few bytes on a 9600-baud serial console. Only
 * VT100 sequences are used (cursor position, SGR bold/underline/reverse, erase;
 * colours when the terminal has them), and every character drawn is one
 * column wide: text is sanitized to printable ASCII, or to a set of
 * single-width Unicode characters when the terminal is UTF-8.
 */

export interface TermCaps {
  /** UTF-8 output (box drawing, arrows); otherwise 7-bit ASCII only. */
  unicode: boolean;
  /** ANSI colours; otherwise colour attributes degrade to bold or nothing. */
  color: boolean;
}

/** Cell attributes, combinable. */
export const A = { none: 0, bold: 1, underline: 2, reverse: 4, red: 8, green: 16, yellow: 32, cyan: 64 } as const;
const COLOR_MASK = A.red | A.green | A.yellow | A.cyan;

export interface Glyphs { h: string; v: string; tl: string; tr: string; bl: string; br: string; up: string; down: string; bullet: string; ellipsis: string; arrow: string }

const UNICODE_GLYPHS: Glyphs = { h: '─', v: '│', tl: '┌', tr: '┐', bl: '└', br: '┘', up: '▲', down: '▼', bullet: '•', ellipsis: '…', arrow: '→' };
const ASCII_GLYPHS: Glyphs = { h: '-', v: '|', tl: '+', tr: '+', bl: '+', br: '+', up: '^', down: 'v', bullet: '*', ellipsis: '~', arrow: '>' };

/** Code points known to be one column wide (Latin, Greek, Cyrillic, punctuation, arrows, box drawing). */
function narrow(cp: number): boolean {
  return (cp >= 0x20 && cp < 0x7f) || (cp >= 0xa0 && cp < 0x0370) || (cp >= 0x0370 && cp < 0x0530)
    || (cp >= 0x2010 && cp < 0x2028) || (cp >= 0x2190 && cp < 0x2200) || (cp >= 0x2500 && cp < 0x25a0) || cp === 0x25b2 || cp === 0x25bc;
}

export class Screen {
  readonly glyphs: Glyphs;
  cols = 0;
  rows = 0;
  private chars: string[][] = [];
  private attrs: number[][] = [];
  private shownChars: string[][] = [];
  private shownAttrs: number[][] = [];
  private full = true;
  private shownCursor: string | undefined;
  /** Where the terminal cursor should be after a flush (a text field being edited), or hidden. */
  cursor: { row: number; col: number } | null = null;

  constructor(private readonly caps: TermCaps, cols: number, rows: number) {
    this.glyphs = caps.unicode ? UNICODE_GLYPHS : ASCII_GLYPHS;
    this.resize(cols, rows);
  }

  resize(cols: number, rows: number): void {
    this.cols = Math.max(1, cols);
    this.rows = Math.max(1, rows);
    const grid = <T>(v: T) => Array.from({ length: this.rows }, () => new Array<T>(this.cols).fill(v));
    this.chars = grid(' ');
    this.attrs = grid(0);
    this.shownChars = grid(' ');
    this.shownAttrs = grid(0);
    this.full = true;
    this.shownCursor = undefined;
  }

  /** Repaint everything at the next flush (Ctrl-L, after an editor or a resize). */
  invalidate(): void { this.full = true; this.shownCursor = undefined; }

  clear(): void {
    for (let r = 0; r < this.rows; r++) { this.chars[r]!.fill(' '); this.attrs[r]!.fill(0); }
    this.cursor = null;
  }

  /** Text made safe to draw: no control characters, nothing wider than one column. */
  sanitize(text: string): string {
    let out = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (ch === '\t') out += ' ';
      else if (cp >= 0x20 && cp < 0x7f) out += ch;
      else out += this.caps.unicode && narrow(cp) ? ch : '?';
    }
    return out;
  }

  /** Draw `text` at (row, col), clipped to `width` columns (and the screen); returns the columns used. */
  put(row: number, col: number, text: string, attr = 0, width = this.cols - col): number {
    if (row < 0 || row >= this.rows || col >= this.cols || width <= 0) return 0;
    const chars = [...this.sanitize(text)];
    const max = Math.min(width, this.cols - col);
    let n = 0;
    for (; n < chars.length && n < max; n++) {
      if (col + n < 0) continue;
      this.chars[row]![col + n] = chars[n]!;
      this.attrs[row]![col + n] = attr;
    }
    return n;
  }

  /** Like put() but ends with an ellipsis when the text does not fit. */
  putClipped(row: number, col: number, text: string, attr: number, width: number): number {
    const chars = [...this.sanitize(text)];
    if (chars.length <= width) return this.put(row, col, text, attr, width);
    return this.put(row, col, chars.slice(0, Math.max(0, width - 1)).join('') + this.glyphs.ellipsis, attr, width);
  }

  fill(row: number, col: number, width: number, ch = ' ', attr = 0): void {
    if (width > 0) this.put(row, col, ch.repeat(width), attr, width);
  }

  box(top: number, left: number, height: number, width: number, title = '', attr = 0): void {
    const g = this.glyphs;
    this.put(top, left, g.tl + g.h.repeat(width - 2) + g.tr, attr);
    for (let r = top + 1; r < top + height - 1; r++) {
      this.put(r, left, g.v, attr);
      this.fill(r, left + 1, width - 2);
      this.put(r, left + width - 1, g.v, attr);
    }
    this.put(top + height - 1, left, g.bl + g.h.repeat(width - 2) + g.br, attr);
    if (title) this.putClipped(top, left + 2, ` ${title} `, attr | A.bold, width - 4);
  }

  /** The character at a cell (tests, and views that overlay). */
  charAt(row: number, col: number): string { return this.chars[row]?.[col] ?? ''; }

  private sgr(attr: number): string {
    const p = ['0'];
    let a = attr;
    if (!this.caps.color && a & COLOR_MASK) {
      // Without colours, alarm colours become bold so they still stand out.
      if (a & (A.red | A.yellow)) a |= A.bold;
      a &= ~COLOR_MASK;
    }
    if (a & A.bold) p.push('1');
    if (a & A.underline) p.push('4');
    if (a & A.reverse) p.push('7');
    if (a & A.red) p.push('31');
    if (a & A.green) p.push('32');
    if (a & A.yellow) p.push('33');
    if (a & A.cyan) p.push('36');
    return `\x1b[${p.join(';')}m`;
  }

  /** The bytes that bring the terminal from what it shows to the buffer. */
  flush(): string {
    let out = '';
    let cur = -1;
    if (this.full) out += '\x1b[0m\x1b[H\x1b[2J';
    for (let r = 0; r < this.rows; r++) {
      const chars = this.chars[r]!, attrs = this.attrs[r]!, shownC = this.shownChars[r]!, shownA = this.shownAttrs[r]!;
      // The bottom-right cell is never written: on many terminals that scrolls the screen.
      const last = r === this.rows - 1 ? this.cols - 2 : this.cols - 1;
      let c = 0;
      while (c <= last) {
        if (!this.full && chars[c] === shownC[c] && attrs[c] === shownA[c]) { c++; continue; }
        let end = c;
        // Extend the run over short stretches of unchanged cells: cheaper than another cursor move.
        for (let k = c + 1, same = 0; k <= last && same < 6; k++) {
          if (!this.full && chars[k] === shownC[k] && attrs[k] === shownA[k]) same++;
          else { same = 0; end = k; }
        }
        out += `\x1b[${r + 1};${c + 1}H`;
        for (let k = c; k <= end; k++) {
          if (attrs[k] !== cur) { cur = attrs[k]!; out += this.sgr(cur); }
          out += chars[k];
          shownC[k] = chars[k]!;
          shownA[k] = attrs[k]!;
        }
        c = end + 1;
      }
    }
    if (cur !== -1) out += '\x1b[0m';
    const cursor = this.cursor ? `\x1b[${this.cursor.row + 1};${this.cursor.col + 1}H\x1b[?25h` : '\x1b[?25l';
    // A cursor shown in a field is re-placed after any drawing (drawing moved it).
    if (cursor !== this.shownCursor || (out && this.cursor)) out += cursor;
    this.shownCursor = cursor;
    this.full = false;
    return out;
  }
}
