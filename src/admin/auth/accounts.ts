/**
 * Local accounts and API tokens, kept in STATE_DIR/admin/accounts.json (0600,
 * written atomically). Passwords are scrypt hashes; API tokens are random
 * 256-bit secrets of which only a SHA-256 is stored (they are not guessable,
 * so a slow hash buys nothing). There is no default password: while no account
 * exists a one-time setup token (memory only, new at each start) can create
 * the first one; the console can set any password over the local socket.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { atomicWriteFileSync } from '../../util/atomic-write.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';

export interface UserRecord { name: string; password_hash: string; created: string; password_changed: string }
export interface TokenRecord { id: string; name: string; user: string; hash: string; created: string; expires: string | null }
interface AccountsFile { users: UserRecord[]; tokens: TokenRecord[] }

export const USER_PATTERN = '^[a-z_][a-z0-9_.-]{0,31}$';
/** Names lbd itself writes into the history as "who". */
const RESERVED = new Set(['console', 'system', 'root']);

export class AccountError extends Error {
  constructor(message: string, readonly statusCode = 400) { super(message); }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const now = () => new Date().toISOString();

export class AccountStore {
  private data: AccountsFile;
  private setupHash?: Buffer;
  /** Compared against when the user does not exist, so timing does not reveal which names exist. */
  private dummyHash?: Promise<string>;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.data = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as AccountsFile) : { users: [], tokens: [] };
  }

  private save(): void {
    atomicWriteFileSync(this.file, JSON.stringify(this.data, null, 2) + '\n', 0o600);
  }

  hasUsers(): boolean { return this.data.users.length > 0; }

  users(): { name: string; created: string; password_changed: string }[] {
    return this.data.users.map(({ name, created, password_changed }) => ({ name, created, password_changed }));
  }

  /** Create the account or change its password. */
  async setPassword(name: string, password: string): Promise<'created' | 'changed'> {
    if (!new RegExp(USER_PATTERN).test(name)) throw new AccountError(`user name must match ${USER_PATTERN}`);
    if (RESERVED.has(name)) throw new AccountError(`"${name}" is reserved for lbd's own records`);
    const problem = passwordProblem(name, password);
    if (problem) throw new AccountError(problem);
    const hash = await hashPassword(password);
    const existing = this.data.users.find((u) => u.name === name);
    if (existing) { existing.password_hash = hash; existing.password_changed = now(); } else {
      this.data.users.push({ name, password_hash: hash, created: now(), password_changed: now() });
    }
    this.save();
    this.setupHash = undefined;
    return existing ? 'changed' : 'created';
  }

  deleteUser(name: string): void {
    if (!this.data.users.some((u) => u.name === name)) throw new AccountError(`no user ${name}`, 404);
    if (this.data.users.length === 1) throw new AccountError('this is the last account: create another one first, or nobody could log in', 409);
    this.data.users = this.data.users.filter((u) => u.name !== name);
    this.data.tokens = this.data.tokens.filter((t) => t.user !== name);
    this.save();
  }

  async verify(name: string, password: string): Promise<boolean> {
    const user = this.data.users.find((u) => u.name === name);
    if (!user) {
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(password, await this.dummyHash);
      return false;
    }
    return verifyPassword(password, user.password_hash);
  }

  // ---- one-time setup token

  /** A fresh one-time token while no account exists (undefined once one does). */
  beginSetup(): string | undefined {
    if (this.hasUsers()) return undefined;
    const token = randomBytes(15).toString('base64url');
    this.setupHash = sha256(token);
    return token;
  }

  setupPending(): boolean { return !this.hasUsers() && this.setupHash !== undefined; }

  /** Create the first account with the setup token; the token is spent. */
  async completeSetup(token: string, name: string, password: string): Promise<void> {
    if (!this.setupPending() || !this.setupHash || !timingSafeEqual(sha256(token), this.setupHash))
      throw new AccountError('the setup token is not valid (it is printed in lbd\'s log at start while no account exists)', 403);
    await this.setPassword(name, password);
  }

  // ---- API tokens

  createToken(user: string, name: string, expiresDays?: number): { id: string; token: string; expires: string | null } {
    if (!this.data.users.some((u) => u.name === user) && user !== 'console') throw new AccountError(`no user ${user}`, 404);
    if (this.data.tokens.some((t) => t.user === user && t.name === name)) throw new AccountError(`${user} already has a token named "${name}"`, 409);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const expires = expiresDays ? new Date(Date.now() + expiresDays * 86400_000).toISOString() : null;
    this.data.tokens.push({ id, name, user, hash: sha256(secret).toString('hex'), created: now(), expires });
    this.save();
    return { id, token: `lbd_${id}_${secret}`, expires };
  }

  tokens(): Omit<TokenRecord, 'hash'>[] {
    return this.data.tokens.map(({ hash: _h, ...t }) => t);
  }

  revokeToken(id: string): TokenRecord {
    const t = this.data.tokens.find((x) => x.id === id);
    if (!t) throw new AccountError(`no token ${id}`, 404);
    this.data.tokens = this.data.tokens.filter((x) => x.id !== id);
    this.save();
    return t;
  }

  /** The owner of a presented bearer token, if it is valid and unexpired. */
  checkToken(presented: string): { user: string; name: string } | undefined {
    const m = /^lbd_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(presented);
    if (!m) return undefined;
    const t = this.data.tokens.find((x) => x.id === m[1]);
    if (!t) return undefined;
    if (!timingSafeEqual(sha256(m[2]!), Buffer.from(t.hash, 'hex'))) return undefined;
    if (t.expires && Date.parse(t.expires) < Date.now()) return undefined;
    return { user: t.user, name: t.name };
  }
}
