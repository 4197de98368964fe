import type * as Crypto from 'node:crypto';
import { invalidArgument } from './errors.js';
import { nodeCrypto } from './lazy-builtins.js';

const createHash = (algorithm: string): Crypto.Hash => nodeCrypto().createHash(algorithm);

/** A content digest in its canonical string form, `sha256:<64 hex>`. */
export type Digest = string;

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): boolean {
  return SHA256_RE.test(s);
}

export function parseDigest(s: string): Digest {
  if (!SHA256_RE.test(s)) {
    if (/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(s) && !s.startsWith('sha256:')) {
      throw invalidArgument(`unsupported digest algorithm: ${s}`);
    }
    throw invalidArgument(`invalid checksum digest format: ${s}`);
  }
  return s;
}

export function sha256(data: string | Uint8Array): Digest {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** The 12-character short ID Docker shows. */
export function shortId(d: Digest): string {
  return digestHex(d).slice(0, 12);
}

/**
 * Chain IDs identify a stack of layers: chain(L0) = diffID(L0),
 * chain(L0..Ln) = sha256(chain(L0..Ln-1) + " " + diffID(Ln)).
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let prev: Digest | undefined;
  for (const d of diffIds) {
    prev = prev === undefined ? d : sha256(`${prev} ${d}`);
    out.push(prev);
  }
  return out;
}
