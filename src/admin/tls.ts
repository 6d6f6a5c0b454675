/**
 * The HTTPS certificate: the configured tls_certificate/tls_key, or a
 * self-signed one generated with openssl on first start and kept in
 * STATE_DIR/admin/tls/ (so its fingerprint stays the same across restarts
 * and can be verified from the console once).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const pExecFile = promisify(execFile);

export interface TlsMaterial { cert: string; key: string; fingerprint256: string; generated: boolean; certFile: string }

export async function loadOrCreateCertificate(opts: { stateDir: string; certificate?: string; key?: string; listenHost?: string }): Promise<TlsMaterial> {
  if (opts.certificate && opts.key) {
    const cert = readPem(opts.certificate, 'tls_certificate');
    const key = readPem(opts.key, 'tls_key');
    return { cert, key, fingerprint256: fingerprint(cert, opts.certificate), generated: false, certFile: opts.certificate };
  }
  const dir = join(opts.stateDir, 'admin', 'tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  let generated = false;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    await generate(dir, certFile, keyFile, opts.listenHost);
    generated = true;
  }
  const cert = readFileSync(certFile, 'utf8');
  return { cert, key: readFileSync(keyFile, 'utf8'), fingerprint256: fingerprint(cert, certFile), generated, certFile };
}

function readPem(file: string, what: string): string {
  try { return readFileSync(file, 'utf8'); } catch (e) {
    throw new Error(`global.admin.${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function fingerprint(pem: string, file: string): string {
  try { return new X509Certificate(pem).fingerprint256; } catch (e) {
    throw new Error(`${file} is not a PEM certificate: ${(e as Error).message}`);
  }
}

/** ECDSA P-256, 10 years, SAN = host name (+ the listen address when it is one). Written to temp names, then renamed. */
async function generate(dir: string, certFile: string, keyFile: string, listenHost?: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = hostname() || 'lb-appliance';
  const san = [`DNS:${name}`, 'DNS:localhost', 'IP:127.0.0.1'];
  if (listenHost && isIP(listenHost) && listenHost !== '127.0.0.1') san.push(`IP:${listenHost}`);
  const tmpKey = `${keyFile}.${process.pid}.tmp`, tmpCert = `${certFile}.${process.pid}.tmp`;
  try {
    await pExecFile('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '3650',
      '-subj', `/O=lb-appliance/CN=${name}`, '-addext', `subjectAltName=${san.join(',')}`,
      '-keyout', tmpKey, '-out', tmpCert,
    ], { timeout: 30_000 });
  } catch (e) {
    rmSync(tmpKey, { force: true }); rmSync(tmpCert, { force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(err.code === 'ENOENT'
      ? 'cannot generate the admin TLS certificate: openssl is not installed (install it, or set global.admin.tls_certificate and tls_key)'
      : `cannot generate the admin TLS certificate: ${err.stderr?.trim() || err.message}`);
  }
  chmodSync(tmpKey, 0o600);
  renameSync(tmpKey, keyFile);
  renameSync(tmpCert, certFile);
}
