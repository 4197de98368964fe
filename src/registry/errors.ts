import { BerthError, type ErrorKind } from '../image/errors.js';

/** One entry of a distribution-spec error body (`{"errors":[{code,message,detail}]}`). */
export interface ErrcodeEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** Default messages of the distribution error codes, used when a registry sends none. */
const DEFAULT_MESSAGES: Record<string, string> = {
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_BLOB_UNKNOWN: 'blob unknown to registry',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNKNOWN: 'manifest unknown',
  MANIFEST_UNVERIFIED: 'manifest failed signature verification',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  TAG_INVALID: 'manifest tag did not match URI',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNSUPPORTED: 'The operation is unsupported.',
  TOOMANYREQUESTS: 'too many requests',
  UNKNOWN: 'unknown error',
  UNAVAILABLE: 'service unavailable',
};

/** How Go's errcode.Error prints: "manifest unknown: manifest unknown". */
export function errcodeString(e: ErrcodeEntry): string {
  const code = (e.code || 'UNKNOWN').toLowerCase().replace(/_/g, ' ');
  const msg = e.message || DEFAULT_MESSAGES[e.code] || '';
  return `${code}: ${msg}`;
}

function kindOfCode(code: string, status: number): ErrorKind {
  if (code === 'UNAUTHORIZED' || code === 'DENIED') return 'unauthorized';
  if (code.endsWith('_UNKNOWN') && code !== 'UNKNOWN') return 'not-found';
  if (code === 'TOOMANYREQUESTS' || code === 'UNAVAILABLE') return 'unavailable';
  if (code.endsWith('_INVALID') || code === 'UNSUPPORTED') return 'invalid-argument';
  return kindOfStatus(status);
}

function kindOfStatus(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status === 400 || status === 405 || status === 415) return 'invalid-argument';
  return 'unavailable';
}

/**
 * An error answer from a registry: the HTTP status and, when the body held them, the
 * distribution error codes. Its message is what Docker prints for the same answer.
 */
export class RegistryResponseError extends BerthError {
  constructor(
    readonly status: number,
    readonly errors: ErrcodeEntry[],
    message: string,
    kind: ErrorKind,
    readonly retryAfterMs?: number,
  ) {
    super(kind, message);
    this.name = 'RegistryResponseError';
  }

  /** The first error code, or '' when the body carried none. */
  get code(): string {
    return this.errors[0]?.code ?? '';
  }

  /** Another message with the same status, codes and kind. */
  withMessage(message: string): RegistryResponseError {
    return new RegistryResponseError(this.status, this.errors, message, this.kind, this.retryAfterMs);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Go's `"%d %s"` status line, e.g. "401 Unauthorized". */
export function statusLine(status: number): string {
  const t = STATUS_TEXT[status];
  return t ? `${status} ${t}` : String(status);
}

function retryAfter(headers: Record<string, string | string[] | undefined>): number | undefined {
  const v = headers['retry-after'];
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  const n = Number(s);
  if (Number.isFinite(n)) return n * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/**
 * Reads a registry's error answer the way distribution's client does (HandleErrorResponse):
 * error codes from the JSON body, `{"details": …}` from token servers, a generic
 * unauthorized/too-many-requests error, else "unexpected HTTP status".
 */
export function responseError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer | undefined,
): RegistryResponseError {
  const after = retryAfter(headers);
  const text = body?.toString('utf8') ?? '';
  let parsed: unknown;
  if (text.trim() !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  const obj = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  const list = obj && Array.isArray(obj.errors) ? (obj.errors as Partial<ErrcodeEntry>[]) : undefined;
  if (list && list.length > 0) {
    const errors = list.map((e) => ({ code: String(e.code ?? 'UNKNOWN'), message: String(e.message ?? ''), detail: e.detail }));
    const msg = errors.length === 1 ? errcodeString(errors[0]!) : 'errors:\n' + errors.map((e) => errcodeString(e) + '\n').join('');
    return new RegistryResponseError(status, errors, msg, kindOfCode(errors[0]!.code, status), after);
  }
  if (status === 401) {
    const details = obj && typeof obj.details === 'string' ? obj.details : undefined;
    const e = { code: 'UNAUTHORIZED', message: details ?? DEFAULT_MESSAGES.UNAUTHORIZED! };
    return new RegistryResponseError(status, [e], errcodeString(e), 'unauthorized', after);
  }
  if (status === 429) {
    const e = { code: 'TOOMANYREQUESTS', message: DEFAULT_MESSAGES.TOOMANYREQUESTS! };
    return new RegistryResponseError(status, [e], errcodeString(e), 'unavailable', after);
  }
  const msg =
    text.trim() === ''
      ? `received unexpected HTTP status: ${statusLine(status)}`
      : `error parsing HTTP ${status} response body: ${parsed === undefined ? 'invalid character in response body' : 'no error details found in HTTP response body'}: ${JSON.stringify(text.length > 512 ? text.slice(0, 512) : text)}`;
  return new RegistryResponseError(status, [], msg, kindOfStatus(status), after);
}

/** Go's url.Error prefix: `Get "https://host/v2/": `. */
export function urlErrorPrefix(method: string, url: string): string {
  const m = method.charAt(0) + method.slice(1).toLowerCase();
  return `${m} ${JSON.stringify(url)}: `;
}

/**
 * A failure to talk to a registry at all (refused, unresolvable, TLS, reset, timeout), worded
 * as Go's net/http reports it, e.g.
 * `Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused`.
 */
export class RegistryTransportError extends BerthError {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly tlsFailure: boolean,
    options?: { cause?: unknown },
  ) {
    super('unavailable', message, options);
    this.name = 'RegistryTransportError';
  }
}

function hostPort(address: string | undefined, port: number | undefined, fallback: string): string {
  if (!address) return fallback;
  const a = address.includes(':') ? `[${address}]` : address;
  return port !== undefined ? `${a}:${port}` : a;
}

const TLS_UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** Words a low-level failure as Go does (the part after `Get "url": `). */
export function describeTransportFailure(err: unknown, host: string, viaProxy = false): { text: string; transient: boolean; tls: boolean } {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string; reason?: string; host?: string; cert?: { subjectaltname?: string } };
  const code = e?.code ?? '';
  const addr = hostPort(e?.address, e?.port, host);
  const proxy = viaProxy ? 'proxyconnect tcp: ' : '';
  switch (code) {
    case 'ECONNREFUSED':
      return { text: `${proxy}dial tcp ${addr}: connect: connection refused`, transient: true, tls: false };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return { text: `${proxy}dial tcp: lookup ${e.hostname ?? host.replace(/:\d+$/, '')}: no such host`, transient: code === 'EAI_AGAIN', tls: false };
    case 'EHOSTUNREACH':
      return { text: `${proxy}dial tcp ${addr}: connect: no route to host`, transient: true, tls: false };
    case 'ENETUNREACH':
      return { text: `${proxy}dial tcp ${addr}: connect: network is unreachable`, transient: true, tls: false };
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { text: `${proxy}dial tcp ${addr}: i/o timeout`, transient: true, tls: false };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { text: 'net/http: timeout awaiting response headers', transient: true, tls: false };
    case 'UND_ERR_BODY_TIMEOUT':
      return { text: `read tcp ${addr}: i/o timeout`, transient: true, tls: false };
    case 'ECONNRESET':
      return { text: `read tcp ${addr}: read: connection reset by peer`, transient: true, tls: false };
    case 'EPIPE':
      return { text: `write tcp ${addr}: write: broken pipe`, transient: true, tls: false };
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { text: 'unexpected EOF', transient: true, tls: false };
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return { text: 'http: server gave HTTP response to HTTPS client', transient: false, tls: true };
    case 'ERR_TLS_CERT_ALTNAME_INVALID': {
      const names = (e.cert?.subjectaltname ?? '').split(/,\s*/).map((s) => s.replace(/^(DNS|IP Address):/, '')).filter(Boolean);
      const valid = names.length ? `certificate is valid for ${names.join(', ')}, not ${e.host ?? host.replace(/:\d+$/, '')}` : 'certificate is not valid for this host';
      return { text: `tls: failed to verify certificate: x509: ${valid}`, transient: false, tls: true };
    }
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return { text: 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid', transient: false, tls: true };
  }
  if (TLS_UNKNOWN_AUTHORITY.has(code)) {
    return { text: 'tls: failed to verify certificate: x509: certificate signed by unknown authority', transient: false, tls: true };
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    const reason = (e.reason ?? e.message ?? code).toLowerCase().replace(/^(sslv3|tlsv1|tlsv13) alert /, '');
    return { text: `remote error: tls: ${reason}`, transient: false, tls: true };
  }
  const msg = e?.message ?? String(err);
  return { text: msg, transient: /socket|closed|reset|terminated|aborted|EOF/i.test(msg), tls: false };
}

/** True for failures worth another attempt: 5xx, 408, 429 and transport errors that may pass. */
export function isTransient(err: unknown): boolean {
  if (err instanceof RegistryTransportError) return err.transient;
  if (err instanceof RegistryResponseError) return err.status >= 500 || err.status === 408 || err.status === 429;
  if (err instanceof TruncatedBodyError) return true;
  return false;
}

/** A body that ended before the length the registry announced. */
export class TruncatedBodyError extends BerthError {
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'TruncatedBodyError';
  }
}
