/**
 * The config objects editable through forms, as lists of fields. A field's
 * key is its path inside the object (dots between steps), so the same key
 * finds the value to show, the place to write it in the YAML document, and the
 * field a validation error belongs to. Anything a form does not name (other
 * keys, comments) is left as the user wrote it.
 */
import { LbAlgos, LbKinds } from '../../config/schema.js';

export type FieldKind = 'text' | 'int' | 'number' | 'select' | 'bool' | 'lines' | 'code';

export interface FieldSpec {
  key: string;
  label: string;
  kind: FieldKind;
  options?: readonly string[];
  placeholder?: string;
  /** The field applies only when this holds for the submitted values of its row (else its key is removed). */
  when?: (values: Record<string, string | undefined>) => boolean;
}

export interface RowSpec {
  /** The list inside the object that holds the rows (e.g. real_servers). */
  key: string;
  title: string;
  fields: FieldSpec[];
  /** Empty rows offered for additions. */
  blankRows: number;
  /** When this field's value changes, the subtree `path` is cleared first (a check of another type has other keys). */
  resetOnChange?: { field: string; path: string; clear: string };
}

export interface FormSpec {
  title: string;
  fields: FieldSpec[];
  rows?: RowSpec;
}

const CHECK_TYPES = ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK'] as const;
const isHttp = (v: Record<string, string | undefined>) => v['checks.0.type'] === 'HTTP_GET' || v['checks.0.type'] === 'SSL_GET';
const hasCheck = (v: Record<string, string | undefined>) => !!v['checks.0.type'];

export const VRRP_INSTANCE_FORM: FormSpec = {
  title: 'VRRP instance',
  fields: [
    { key: 'state', label: 'Initial state', kind: 'select', options: ['MASTER', 'BACKUP'] },
    { key: 'priority', label: 'Priority', kind: 'int', placeholder: '100' },
    { key: 'advert_int', label: 'Advert interval (s)', kind: 'number', placeholder: '1' },
    { key: 'nopreempt', label: 'No preempt', kind: 'bool' },
    { key: 'virtual_ipaddress', label: 'Virtual IP addresses (one per line, ADDRESS[/PREFIX])', kind: 'lines' },
  ],
};

export const VIRTUAL_SERVER_FORM: FormSpec = {
  title: 'Virtual service',
  fields: [
    { key: 'name', label: 'Name', kind: 'text', placeholder: 'derived from address:port' },
    { key: 'address', label: 'Address', kind: 'text' },
    { key: 'port', label: 'Port', kind: 'int' },
    { key: 'protocol', label: 'Protocol', kind: 'select', options: ['TCP', 'UDP', 'SCTP'] },
    { key: 'fwmark', label: 'Firewall mark', kind: 'int' },
    { key: 'lb_algo', label: 'Scheduler', kind: 'select', options: LbAlgos },
    { key: 'lb_kind', label: 'Forwarding', kind: 'select', options: LbKinds },
    { key: 'delay_loop', label: 'Check interval (s)', kind: 'number', placeholder: '60' },
    { key: 'persistence_timeout', label: 'Persistence (s)', kind: 'int' },
    { key: 'quorum', label: 'Quorum', kind: 'int' },
    { key: 'sorry_server.address', label: 'Sorry server address', kind: 'text' },
    { key: 'sorry_server.port', label: 'Sorry server port', kind: 'int', when: (v) => !!v['sorry_server.address'] },
  ],
  rows: {
    key: 'real_servers',
    title: 'Real servers',
    blankRows: 1,
    resetOnChange: { field: 'checks.0.type', path: 'checks.0', clear: 'checks' },
    fields: [
      { key: 'address', label: 'Address', kind: 'text' },
      { key: 'port', label: 'Port', kind: 'int' },
      { key: 'weight', label: 'Weight', kind: 'int', placeholder: '1' },
      { key: 'inhibit_on_failure', label: 'Inhibit', kind: 'bool' },
      { key: 'checks.0.type', label: 'Check', kind: 'select', options: CHECK_TYPES },
      { key: 'checks.0.url.0.path', label: 'URL path', kind: 'text', when: isHttp },
      { key: 'checks.0.url.0.status_code', label: 'Status', kind: 'code', when: isHttp },
      { key: 'checks.0.misc_path', label: 'Command', kind: 'text', when: (v) => v['checks.0.type'] === 'MISC_CHECK' },
      { key: 'checks.0.connect_port', label: 'Check port', kind: 'int', when: hasCheck },
      { key: 'checks.0.connect_timeout', label: 'Timeout (s)', kind: 'number', when: hasCheck },
      { key: 'checks.0.retry', label: 'Retries', kind: 'int', when: hasCheck },
      { key: 'checks.0.delay_before_retry', label: 'Retry delay (s)', kind: 'number', when: hasCheck },
    ],
  },
};

export const BACKEND_FORM: FormSpec = {
  title: 'L7 backend',
  fields: [
    { key: 'balance', label: 'Balance', kind: 'select', options: ['roundrobin', 'leastconn', 'source', 'first', 'random'] },
  ],
  rows: {
    key: 'servers',
    title: 'Servers',
    blankRows: 1,
    fields: [
      { key: 'name', label: 'Name', kind: 'text' },
      { key: 'address', label: 'Address', kind: 'text' },
      { key: 'port', label: 'Port', kind: 'int' },
      { key: 'weight', label: 'Weight', kind: 'int', placeholder: '1' },
      { key: 'backup', label: 'Backup', kind: 'bool' },
      { key: 'maxconn', label: 'Max conns', kind: 'int' },
    ],
  },
};
