/** Errors and warnings about a config, located by JSON path and, where known, file:line. */

export type ConfigPath = (string | number)[];

export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  /** Location in the config model (e.g. ['vrrp_instances', 'VI_1', 'priority']). */
  path?: ConfigPath;
  file?: string;
  line?: number;
  column?: number;
}

export function pathText(path: ConfigPath | undefined): string {
  if (!path || path.length === 0) return '';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** `FILE:LINE: path: message`, the form editors and CI logs understand. */
export function formatDiagnostic(d: Diagnostic, fallbackFile = '<config>'): string {
  const where = `${d.file ?? fallbackFile}${d.line ? `:${d.line}` : ''}`;
  const path = pathText(d.path);
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${prefix}${path ? `${path}: ` : ''}${d.message}`;
}

export class ConfigError extends Error {
  constructor(readonly diagnostics: Diagnostic[], readonly file?: string) {
    super(diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, file)).join('\n') || 'invalid config');
    this.name = 'ConfigError';
  }
}

export const errorsOf = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');
export const warningsOf = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'warning');
