import type { IncomingHttpHeaders } from 'node:http';
import type { AuthConfig } from '../registry/docker-config.js';
import type { Filters } from '../engine/filters.js';
import { badRequest } from './errors.js';

/** Query parameters read as dockerd's httputils reads its form values. */
export class Query {
  constructor(private readonly params: URLSearchParams) {}

  has(key: string): boolean {
    return this.params.has(key);
  }

  /** The first value, '' when absent (Go's Form.Get). */
  get(key: string): string {
    return this.params.get(key) ?? '';
  }

  all(key: string): string[] {
    return this.params.getAll(key);
  }

  /** httputils.BoolValue: absent, "", "0", "no", "false" and "none" are false. */
  bool(key: string): boolean {
    const v = this.get(key).trim().toLowerCase();
    return !(v === '' || v === '0' || v === 'no' || v === 'false' || v === 'none');
  }

  /** httputils.BoolValueOrDefault. */
  boolOr(key: string, def: boolean): boolean {
    return this.has(key) ? this.bool(key) : def;
  }

  /** An integer parameter; undefined when absent or empty. */
  int(key: string): number | undefined {
    const v = this.get(key);
    if (v === '') return undefined;
    if (!/^[-+]?\d+$/.test(v)) throw badRequest(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  }
}

/**
 * Docker's filters.FromJSON: `{"name":{"value":true}}`, or the legacy `{"name":["value"]}`.
 */
export function parseFiltersParam(text: string): Filters {
  const out: Filters = new Map();
  if (text === '') return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badRequest('invalid filter');
  }
  if (raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('invalid filter');
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out.set(name, [...(value as string[])]);
    else if (value && typeof value === 'object' && !Array.isArray(value)) out.set(name, Object.keys(value));
    else if (value === null) out.set(name, []);
    else throw badRequest('invalid filter');
  }
  return out;
}

/**
 * The X-Registry-Auth header: base64url JSON of Docker's AuthConfig. Undefined when absent,
 * empty or unreadable (dockerd ignores an invalid one for compatibility).
 */
export function decodeRegistryAuth(headers: IncomingHttpHeaders): AuthConfig | undefined {
  const h = headers['x-registry-auth'];
  const value = Array.isArray(h) ? h[0] : h;
  if (!value) return undefined;
  let o: Record<string, unknown>;
  try {
    const json = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object') return undefined;
  const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : '');
  const auth: AuthConfig = {};
  let username = s('username');
  let password = s('password');
  if (!username && s('auth')) {
    const plain = Buffer.from(s('auth'), 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) {
      username = plain.slice(0, colon);
      password = plain.slice(colon + 1);
    }
  }
  if (username) auth.username = username;
  if (password) auth.password = password;
  if (s('email')) auth.email = s('email');
  if (s('serveraddress')) auth.serverAddress = s('serveraddress');
  if (s('identitytoken')) auth.identityToken = s('identitytoken');
  if (s('registrytoken')) auth.registryToken = s('registrytoken');
  return auth.username || auth.password || auth.identityToken || auth.registryToken ? auth : undefined;
}

/** Reads a whole (small) request body. */
export async function readAll(body: AsyncIterable<Buffer | string>, limit = 16 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    n += b.length;
    if (n > limit) throw badRequest('request body too large');
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** httputils.ReadJSON: the Content-Type must say JSON when there is a body; an empty body is no value. */
export function parseJsonBody<T>(contentType: string | undefined, body: Buffer): T | undefined {
  if (body.length === 0) return undefined;
  if (contentType !== undefined && contentType !== '') {
    const mime = contentType.split(';')[0]!.trim().toLowerCase();
    if (mime !== 'application/json') throw badRequest(`unsupported Content-Type header (${contentType}): must be 'application/json'`);
  }
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('invalid JSON: got EOF while reading request body');
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw badRequest(`invalid JSON: ${(err as Error).message}`);
  }
}
