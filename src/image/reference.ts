/**
 * Docker image references, with the grammar and normalisation rules of
 * github.com/distribution/reference (v0.6, as vendored by Docker 28) and the digest validation of
 * github.com/opencontainers/go-digest v1.0.0, plus the small pieces of Docker's daemon and CLI that
 * decide how user input is resolved (reference vs. image ID prefix, Docker Hub special cases).
 *
 * Grammar (distribution/reference):
 *
 *     reference        := name [ ":" tag ] [ "@" digest ]
 *     name             := [domain "/"] remote-name
 *     domain           := host [":" port-number]
 *     host             := domain-name | IPv4address | "[" IPv6address "]"
 *     domain-name      := domain-component ["." domain-component]*
 *     domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *     port-number      := /[0-9]+/
 *     remote-name      := path-component ["/" path-component]*
 *     path-component   := /[a-z0-9]+/ [separator /[a-z0-9]+/]*
 *     separator        := "." | "_" | "__" | "-"+
 *     tag              := /[\w][\w.-]{0,127}/
 *     digest           := algorithm ":" /[0-9a-fA-F]{32,}/
 *     algorithm        := alg-component [/[-_+.]/ alg-component]...
 *     alg-component    := /[A-Za-z][A-Za-z0-9]{0,}/
 *
 * The matcher below is written by hand (no backtracking regular expressions over the whole input),
 * but accepts exactly the language of the upstream anchored regular expressions and splits it the
 * same way (domain only when the first path element matches the domain rule and a remote name
 * follows; the tag is whatever follows a ':' after the last '/').
 *
 * Error messages are byte-for-byte those of the Go packages, so callers can wrap them the way
 * Docker does (see {@link tagReferenceErrorMessage}).
 */
import { BerthError } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Constants

/** Maximum length of the path (remote name, without domain) of a repository. */
export const REPOSITORY_NAME_TOTAL_LENGTH_MAX = 255;
/** The domain of Docker Hub used in normalised (canonical) names. */
export const DEFAULT_DOMAIN = 'docker.io';
/** The legacy Docker Hub ("Docker Index") domain; normalised to {@link DEFAULT_DOMAIN}. */
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
/** The namespace of Docker Hub's official images. */
export const OFFICIAL_REPO_PREFIX = 'library/';
/** The tag implied when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** The host actually serving the Docker Hub registry API (`https://registry-1.docker.io/v2/`). */
export const DEFAULT_REGISTRY_HOST = 'registry-1.docker.io';
/**
 * The key under which Docker Hub credentials are stored in `~/.docker/config.json` ("auths" and
 * "credHelpers") and passed to credential helpers.
 */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

// ---------------------------------------------------------------------------------------------
// Errors

export type ReferenceErrorCode =
  /** `invalid reference format` */
  | 'invalid-reference-format'
  /** `repository name must be lowercase` or `invalid reference format: repository name (X) must be lowercase` */
  | 'name-contains-uppercase'
  /** `repository name must have at least one component` */
  | 'name-empty'
  /** `repository name must not be more than 255 characters` */
  | 'name-too-long'
  /** `repository name must be canonical` */
  | 'name-not-canonical'
  /** `invalid repository name (X), cannot specify 64-byte hexadecimal strings` */
  | 'name-is-identifier'
  /** `invalid tag format` */
  | 'tag-invalid-format'
  /** `invalid digest format` (reference grammar, from withDigest) */
  | 'digest-invalid-format'
  /** `invalid checksum digest format` (go-digest) */
  | 'checksum-invalid-format'
  /** `invalid checksum digest length` (go-digest) */
  | 'checksum-invalid-length'
  /** `unsupported digest algorithm` (go-digest) */
  | 'digest-unsupported'
  /** `cannot import digest reference` (Docker API repo/tag parameters) */
  | 'digest-not-allowed';

/** The bare messages of distribution/reference and go-digest. */
export const ReferenceMessages = {
  invalidFormat: 'invalid reference format',
  tagInvalidFormat: 'invalid tag format',
  digestInvalidFormat: 'invalid digest format',
  nameContainsUppercase: 'repository name must be lowercase',
  nameEmpty: 'repository name must have at least one component',
  nameTooLong: `repository name must not be more than ${REPOSITORY_NAME_TOTAL_LENGTH_MAX} characters`,
  nameNotCanonical: 'repository name must be canonical',
  checksumInvalidFormat: 'invalid checksum digest format',
  checksumInvalidLength: 'invalid checksum digest length',
  digestUnsupported: 'unsupported digest algorithm',
  digestNotAllowed: 'cannot import digest reference',
} as const;

/**
 * A reference failed to parse or validate. `message` is exactly the text Docker prints after its
 * own prefix; `code` tells the cases apart. Kind is always `invalid-argument`.
 */
export class InvalidReferenceError extends BerthError {
  readonly code: ReferenceErrorCode;
  constructor(code: ReferenceErrorCode, message: string) {
    super('invalid-argument', message);
    this.name = 'InvalidReferenceError';
    this.code = code;
  }
}

const err = {
  invalidFormat: () => new InvalidReferenceError('invalid-reference-format', ReferenceMessages.invalidFormat),
  tag: () => new InvalidReferenceError('tag-invalid-format', ReferenceMessages.tagInvalidFormat),
  digest: () => new InvalidReferenceError('digest-invalid-format', ReferenceMessages.digestInvalidFormat),
  uppercase: () => new InvalidReferenceError('name-contains-uppercase', ReferenceMessages.nameContainsUppercase),
  uppercaseRemote: (remote: string) =>
    new InvalidReferenceError(
      'name-contains-uppercase',
      `invalid reference format: repository name (${remote}) must be lowercase`,
    ),
  empty: () => new InvalidReferenceError('name-empty', ReferenceMessages.nameEmpty),
  tooLong: () => new InvalidReferenceError('name-too-long', ReferenceMessages.nameTooLong),
  notCanonical: () => new InvalidReferenceError('name-not-canonical', ReferenceMessages.nameNotCanonical),
  identifier: (s: string) =>
    new InvalidReferenceError(
      'name-is-identifier',
      `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`,
    ),
  checksumFormat: () => new InvalidReferenceError('checksum-invalid-format', ReferenceMessages.checksumInvalidFormat),
  checksumLength: () => new InvalidReferenceError('checksum-invalid-length', ReferenceMessages.checksumInvalidLength),
  unsupported: () => new InvalidReferenceError('digest-unsupported', ReferenceMessages.digestUnsupported),
};

/**
 * The message `docker tag` prints when SOURCE or TARGET does not parse, e.g.
 * `Error parsing reference: "Bad/UPPER:x" is not a valid repository/tag: invalid reference format: repository name (UPPER) must be lowercase`.
 */
export function tagReferenceErrorMessage(input: string, cause: Error | string): string {
  const msg = typeof cause === 'string' ? cause : cause.message;
  return `Error parsing reference: ${goQuote(input)} is not a valid repository/tag: ${msg}`;
}

/** Go's `strconv.Quote` (the `%q` verb) for the strings that appear in Docker's messages. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (ch === ' ' || GO_PRINTABLE.test(ch)) {
      out += ch;
    } else if (cp < 0x80) {
      out += '\\x' + cp.toString(16).padStart(2, '0');
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate is not valid UTF-8; Go would see the replacement character.
      out += '\ufffd';
    } else if (cp < 0x10000) {
      out += '\\u' + cp.toString(16).padStart(4, '0');
    } else {
      out += '\\U' + cp.toString(16).padStart(8, '0');
    }
  }
  return out + '"';
}
const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

// ---------------------------------------------------------------------------------------------
// Grammar

const TAG_RE = /^[\w][\w.-]{0,127}$/;
const REFERENCE_DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
// go-digest's DigestRegexpAnchored, used to tell "unsupported" from "invalid format".
const GO_DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
// Algorithms available in Docker's binaries (go-digest v1.0.0 with crypto/sha256 and crypto/sha512).
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function isLowerAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}

function isAlnum(c: number): boolean {
  return isLowerAlnum(c) || (c >= 0x41 && c <= 0x5a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*` */
function isPathComponent(s: string): boolean {
  const n = s.length;
  let i = 0;
  for (;;) {
    const start = i;
    while (i < n && isLowerAlnum(s.charCodeAt(i))) i++;
    if (i === start) return false;
    if (i === n) return true;
    const c = s[i];
    if (c === '.') i++;
    else if (c === '_') i += s[i + 1] === '_' ? 2 : 1;
    else if (c === '-') while (s[i] === '-') i++;
    else return false;
  }
}

/** remote-name: path components separated by single slashes. */
function isRemoteName(s: string): boolean {
  for (const part of s.split('/')) if (!isPathComponent(part)) return false;
  return true;
}

/** `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]` */
function isDomainComponent(s: string): boolean {
  const n = s.length;
  if (n === 0 || !isAlnum(s.charCodeAt(0)) || !isAlnum(s.charCodeAt(n - 1))) return false;
  for (let i = 1; i < n - 1; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 0x2d) return false;
  }
  return true;
}

/** domain-name, IPv4 address, or `[IPv6]`, optionally followed by `:port`. */
export function isValidDomain(s: string): boolean {
  let rest: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return false;
    const inner = s.slice(1, close);
    if (inner.length === 0) return false;
    for (let i = 0; i < inner.length; i++) {
      const c = inner.charCodeAt(i);
      if (!isHexDigit(c) && c !== 0x3a) return false;
    }
    rest = s.slice(close + 1);
  } else {
    const colon = s.indexOf(':');
    const host = colon < 0 ? s : s.slice(0, colon);
    rest = colon < 0 ? '' : s.slice(colon);
    for (const label of host.split('.')) if (!isDomainComponent(label)) return false;
  }
  if (rest === '') return true;
  if (rest[0] !== ':' || rest.length === 1) return false;
  for (let i = 1; i < rest.length; i++) if (!isDigit(rest.charCodeAt(i))) return false;
  return true;
}

/** Splits a name (no tag/digest) into domain and path the way the anchored name pattern does. */
function splitName(name: string): { domain: string; path: string } | undefined {
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const domain = name.slice(0, slash);
    const path = name.slice(slash + 1);
    if (isValidDomain(domain) && isRemoteName(path)) return { domain, path };
  }
  if (isRemoteName(name)) return { domain: '', path: name };
  return undefined;
}

interface RawMatch {
  domain: string;
  path: string;
  tag: string;
  digest: string;
}

/** The full anchored reference pattern; undefined when it does not match. */
function matchReference(s: string): RawMatch | undefined {
  let rest = s;
  let digest = '';
  const at = s.indexOf('@');
  if (at >= 0) {
    digest = s.slice(at + 1);
    rest = s.slice(0, at);
    if (!REFERENCE_DIGEST_RE.test(digest)) return undefined;
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon >= 0 && colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) return undefined;
  }
  const name = splitName(rest);
  if (!name) return undefined;
  return { ...name, tag, digest };
}

/** True if `tag` is a valid tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** True if `s` is a 64-character lowercase hex string (an image ID without its algorithm). */
export function isIdentifier(s: string): boolean {
  return IDENTIFIER_RE.test(s);
}

/**
 * Validates a digest as go-digest v1.0.0 `Digest.Validate` does (sha256, sha384 and sha512 are
 * available; the encoded part must be lowercase hex of the algorithm's length). Throws
 * {@link InvalidReferenceError} with code `checksum-invalid-format`, `checksum-invalid-length` or
 * `digest-unsupported`.
 */
export function validateDigest(d: string): void {
  switch (digestProblem(d)) {
    case undefined:
      return;
    case 'checksum-invalid-format':
      throw err.checksumFormat();
    case 'checksum-invalid-length':
      throw err.checksumLength();
    case 'digest-unsupported':
      throw err.unsupported();
  }
}

type DigestProblem = 'checksum-invalid-format' | 'checksum-invalid-length' | 'digest-unsupported';

function digestProblem(d: string): DigestProblem | undefined {
  const i = d.indexOf(':');
  if (i <= 0 || i + 1 === d.length) return 'checksum-invalid-format';
  const algorithm = d.slice(0, i);
  const encoded = d.slice(i + 1);
  const length = Object.hasOwn(DIGEST_HEX_LENGTH, algorithm) ? DIGEST_HEX_LENGTH[algorithm] : undefined;
  if (length === undefined) return GO_DIGEST_RE.test(d) ? 'digest-unsupported' : 'checksum-invalid-format';
  if (encoded.length !== length) return 'checksum-invalid-length';
  if (!/^[a-f0-9]+$/.test(encoded)) return 'checksum-invalid-format';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Reference types

// Set by NamedReference's static block: the only way to build one, after validation.
let makeNamed: (domain: string, path: string, tag: string | undefined, digest: string | undefined) => NamedReference;

/** A reference with a repository name, and optionally a tag and/or a digest. Immutable. */
export class NamedReference {
  readonly kind = 'named' as const;
  /** The registry part, e.g. `docker.io`, `127.0.0.1:5000`, `[::1]:5000`; '' when absent. */
  readonly domain: string;
  /** The repository path without domain, e.g. `library/busybox`. */
  readonly path: string;
  /** The tag, or undefined. */
  readonly tag: string | undefined;
  /** The digest (`algo:hex`), or undefined. */
  readonly digest: string | undefined;

  private constructor(domain: string, path: string, tag: string | undefined, digest: string | undefined) {
    this.domain = domain;
    this.path = path;
    this.tag = tag || undefined;
    this.digest = digest || undefined;
    Object.freeze(this);
  }

  static {
    makeNamed = (domain, path, tag, digest) => new NamedReference(domain, path, tag, digest);
  }

  /** The full repository name: `domain/path`, or `path` when there is no domain. */
  get name(): string {
    return this.domain === '' ? this.path : `${this.domain}/${this.path}`;
  }

  /** Canonical string: `name[:tag][@digest]`. */
  toString(): string {
    let s = this.name;
    if (this.tag !== undefined) s += ':' + this.tag;
    if (this.digest !== undefined) s += '@' + this.digest;
    return s;
  }

  toJSON(): string {
    return this.toString();
  }

  /** True when there is neither a tag nor a digest (Go's `IsNameOnly`). */
  get isNameOnly(): boolean {
    return this.tag === undefined && this.digest === undefined;
  }

  /**
   * The familiar form Docker shows: `docker.io/` dropped, and `library/` dropped when nothing
   * nested follows (`docker.io/library/a/b` keeps `library/a/b`). The result has domain ''.
   */
  familiar(): NamedReference {
    if (this.domain !== DEFAULT_DOMAIN) return this;
    let path = this.path;
    if (path.startsWith(OFFICIAL_REPO_PREFIX)) {
      const rest = path.slice(OFFICIAL_REPO_PREFIX.length);
      if (!rest.includes('/')) path = rest;
    }
    return makeNamed('', path, this.tag, this.digest);
  }

  /** Go's `FamiliarName`, e.g. `busybox`, `lab/small`, `127.0.0.1:5000/lab/small`. */
  get familiarName(): string {
    return this.familiar().name;
  }

  /** Go's `FamiliarString`, e.g. `busybox:latest`, `lab/small@sha256:…`. */
  familiarString(): string {
    return this.familiar().toString();
  }

  /** Go's `WithTag`: replaces the tag, keeping any digest. Throws `invalid tag format`. */
  withTag(tag: string): NamedReference {
    if (!TAG_RE.test(tag)) throw err.tag();
    return makeNamed(this.domain, this.path, tag, this.digest);
  }

  /**
   * Go's `WithDigest`: replaces the digest, keeping any tag. Only the reference grammar is
   * checked (`invalid digest format`), as upstream does.
   */
  withDigest(digest: string): NamedReference {
    if (!REFERENCE_DIGEST_RE.test(digest)) throw err.digest();
    return makeNamed(this.domain, this.path, this.tag, digest);
  }

  /** Go's `TrimNamed`: the repository alone. */
  trimNamed(): NamedReference {
    return this.isNameOnly ? this : makeNamed(this.domain, this.path, undefined, undefined);
  }

  /** Go's `TagNameOnly`: adds `:latest` when there is neither tag nor digest. */
  tagNameOnly(): NamedReference {
    return this.isNameOnly ? makeNamed(this.domain, this.path, DEFAULT_TAG, undefined) : this;
  }

  /**
   * The post-processing of Go's `ParseDockerRef`: a reference with tag and digest keeps only the
   * digest; a bare name gets `:latest`.
   */
  dockerRef(): NamedReference {
    if (this.tag !== undefined && this.digest !== undefined) {
      return makeNamed(this.domain, this.path, undefined, this.digest);
    }
    return this.tagNameOnly();
  }

  equals(other: AnyReference): boolean {
    return (
      other.kind === 'named' &&
      other.domain === this.domain &&
      other.path === this.path &&
      other.tag === this.tag &&
      other.digest === this.digest
    );
  }
}

/** A reference that is only a digest (an image ID), as returned by {@link parseAnyReference}. */
export class DigestReference {
  readonly kind = 'digest' as const;
  readonly digest: string;
  constructor(digest: string) {
    this.digest = digest;
    Object.freeze(this);
  }
  toString(): string {
    return this.digest;
  }
  toJSON(): string {
    return this.digest;
  }
  familiarString(): string {
    return this.digest;
  }
  equals(other: AnyReference): boolean {
    return other.kind === 'digest' && other.digest === this.digest;
  }
}

export type AnyReference = NamedReference | DigestReference;

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Go's `reference.Parse`: the grammar only, no normalisation (`busybox` stays `busybox`).
 * Errors: `repository name must have at least one component` (empty input),
 * `repository name must be lowercase`, `invalid reference format`,
 * `repository name must not be more than 255 characters`, and the go-digest errors.
 */
export function parseReference(s: string): NamedReference {
  if (s === '') throw err.empty();
  const m = matchReference(s);
  if (!m) {
    const lower = s.toLowerCase();
    if (lower !== s && matchReference(lower)) throw err.uppercase();
    throw err.invalidFormat();
  }
  if (m.path.length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw err.tooLong();
  if (m.digest !== '') validateDigest(m.digest);
  return makeNamed(m.domain, m.path, m.tag, m.digest);
}

/**
 * Go's `splitDockerDomain`: the domain Docker assumes for a user-supplied name, and the rest
 * (path plus any tag/digest). The first element is a domain when it is `localhost`, contains a
 * `.` or `:`, or has uppercase letters; otherwise the name is on Docker Hub, where single-element
 * names get `library/`. `index.docker.io` becomes `docker.io`.
 */
export function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + name };
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (first === 'localhost') {
    [domain, remainder] = [first, rest];
  } else if (first === LEGACY_DEFAULT_DOMAIN) {
    [domain, remainder] = [DEFAULT_DOMAIN, rest];
  } else if (first.includes('.') || first.includes(':')) {
    [domain, remainder] = [first, rest];
  } else if (first.toLowerCase() !== first) {
    [domain, remainder] = [first, rest];
  } else {
    [domain, remainder] = [DEFAULT_DOMAIN, name];
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * Go's `ParseNormalizedNamed`, which every Docker command uses for user input:
 * `busybox` → `docker.io/library/busybox`, `foo/bar` → `docker.io/foo/bar`,
 * `localhost/x`, `host:5000/x`, `a.b/x` keep their domain, `index.docker.io/x` → `docker.io/library/x`.
 * Tag and digest may both be present. Extra errors: a 64-hex string is refused
 * (`invalid repository name (…), cannot specify 64-byte hexadecimal strings`), and an uppercase
 * repository path gives `invalid reference format: repository name (X) must be lowercase`.
 */
export function parseNormalizedNamed(s: string): NamedReference {
  if (IDENTIFIER_RE.test(s)) throw err.identifier(s);
  const { domain, remainder } = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) throw err.uppercaseRemote(remote);
  return parseReference(`${domain}/${remainder}`);
}

/**
 * Go's `ParseNamed`: like {@link parseNormalizedNamed} but the input must already be canonical
 * (`docker.io/library/foo`, not `foo`); otherwise `repository name must be canonical`.
 */
export function parseNamed(s: string): NamedReference {
  const ref = parseNormalizedNamed(s);
  if (ref.toString() !== s) throw err.notCanonical();
  return ref;
}

/**
 * Go's `ParseDockerRef`: normalised, with `:latest` added to bare names and the tag dropped when
 * a digest is present (`busybox:1@sha256:…` → `docker.io/library/busybox@sha256:…`).
 */
export function parseDockerRef(s: string): NamedReference {
  return parseNormalizedNamed(s).dockerRef();
}

/**
 * Go's `ParseAnyReference`: a 64-hex string is the image ID `sha256:<hex>`; a valid digest
 * (`sha256:<64hex>`, `sha512:<128hex>`, …) is a digest reference; anything else is parsed with
 * {@link parseNormalizedNamed} (so `b39d2aee5456` is the name `docker.io/library/b39d2aee5456`).
 */
export function parseAnyReference(s: string): AnyReference {
  if (IDENTIFIER_RE.test(s)) return new DigestReference('sha256:' + s);
  if (digestProblem(s) === undefined) return new DigestReference(s);
  return parseNormalizedNamed(s);
}

/** Go's `WithName`: a repository name without tag or digest, not normalised. */
export function withName(name: string): NamedReference {
  const m = splitName(name);
  if (!m) throw err.invalidFormat();
  if (m.path.length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw err.tooLong();
  return makeNamed(m.domain, m.path, undefined, undefined);
}

/**
 * What the Docker API does with the `repo` and `tag` parameters of tag, commit, import and build
 * (`httputils.RepoTagReference`): parse `repo` normalised, refuse digests
 * (`cannot import digest reference`), apply `tag` when given, else default to `latest`.
 * Returns undefined when `repo` is empty.
 */
export function repoTagReference(repo: string, tag = ''): NamedReference | undefined {
  if (repo === '') return undefined;
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) {
    throw new InvalidReferenceError('digest-not-allowed', ReferenceMessages.digestNotAllowed);
  }
  return tag !== '' ? ref.withTag(tag) : ref.tagNameOnly();
}

// ---------------------------------------------------------------------------------------------
// Matching and sorting

/**
 * Go's `FamiliarMatch`, used by `docker images --filter reference=PATTERN` and
 * `docker images REPO[:TAG]`: `path.Match` against the familiar string, then against the familiar
 * name. A malformed pattern throws `syntax error in pattern` (invalid-argument).
 */
export function familiarMatch(pattern: string, ref: AnyReference): boolean {
  // A malformed pattern throws on the first attempt already (Go checks the whole pattern
  // before reporting a mismatch).
  if (goPathMatch(pattern, ref.familiarString())) return true;
  return ref.kind === 'named' && goPathMatch(pattern, ref.familiarName);
}

/**
 * Go's `reference.Sort`: canonical strings ordered name+tag+digest, name+tag, name+digest, name,
 * digest, each group lexically; unparsable inputs last, sorted, unchanged.
 */
export function sortReferences(refs: readonly string[]): string[] {
  const good: { rank: number; s: string }[] = [];
  const bad: string[] = [];
  for (const r of refs) {
    let ref: AnyReference;
    try {
      ref = parseAnyReference(r);
    } catch {
      bad.push(r);
      continue;
    }
    let rank = 5;
    if (ref.kind === 'named') {
      if (ref.tag !== undefined) rank = ref.digest !== undefined ? 1 : 2;
      else rank = ref.digest !== undefined ? 3 : 4;
    }
    good.push({ rank, s: ref.toString() });
  }
  good.sort((a, b) => a.rank - b.rank || compareStrings(a.s, b.s));
  bad.sort(compareStrings);
  return [...good.map((g) => g.s), ...bad];
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class BadPatternError extends BerthError {
  constructor() {
    super('invalid-argument', 'syntax error in pattern');
    this.name = 'BadPatternError';
  }
}

/**
 * Go's `path.Match` (shell patterns: `*` and `?` never cross `/`, `[...]`/`[^...]` classes with
 * ranges, `\` escapes; the whole pattern is checked for syntax even after a mismatch, and a
 * malformed one throws `syntax error in pattern`). Exported for {@link familiarMatch}'s callers
 * and tests.
 */
export function goPathMatch(pattern: string, name: string): boolean {
  const p = Array.from(pattern);
  const s = Array.from(name);
  let pi = 0;
  let si = 0;
  outer: while (pi < p.length) {
    const { star, chunk, next } = scanChunk(p, pi);
    pi = next;
    const last = pi >= p.length;
    // A trailing star matches the rest unless it contains a separator.
    if (star && chunk.length === 0) return !s.slice(si).includes('/');
    const here = matchChunk(chunk, s, si);
    if (here >= 0 && (here === s.length || !last)) {
      si = here;
      continue;
    }
    if (star) {
      // Let the star eat one more character at a time, never a separator.
      for (let k = si; k < s.length && s[k] !== '/'; k++) {
        const t = matchChunk(chunk, s, k + 1);
        if (t < 0 || (last && t < s.length)) continue;
        si = t;
        continue outer;
      }
    }
    // No match: the remaining pattern must still be well-formed.
    while (pi < p.length) {
      const rest = scanChunk(p, pi);
      matchChunk(rest.chunk, [], 0);
      pi = rest.next;
    }
    return false;
  }
  return si === s.length;
}

/** The next chunk of a pattern: leading stars, then everything up to a star outside a class. */
function scanChunk(p: string[], pi: number): { star: boolean; chunk: string[]; next: number } {
  let star = false;
  while (p[pi] === '*') {
    star = true;
    pi++;
  }
  let end = pi;
  let inClass = false;
  for (; end < p.length; end++) {
    const c = p[end];
    if (c === '\\') {
      if (end + 1 < p.length) end++;
    } else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '*' && !inClass) break;
  }
  return { star, chunk: p.slice(pi, end), next: end };
}

/**
 * Matches a star-free chunk at s[i…]; returns the index after the match, or -1. Throws on a
 * malformed chunk even when the text has already failed to match.
 */
function matchChunk(chunk: string[], s: string[], i: number): number {
  let failed = false;
  let ci = 0;
  while (ci < chunk.length) {
    if (!failed && i >= s.length) failed = true;
    const c = chunk[ci]!;
    if (c === '[') {
      const r = failed ? '' : s[i++]!;
      ci++;
      let negated = false;
      if (chunk[ci] === '^') {
        negated = true;
        ci++;
      }
      let match = false;
      let ranges = 0;
      for (;;) {
        if (ci < chunk.length && chunk[ci] === ']' && ranges > 0) {
          ci++;
          break;
        }
        const lo = classChar(chunk, ci);
        ci = lo.next;
        let hi = lo.ch;
        if (chunk[ci] === '-') {
          const h = classChar(chunk, ci + 1);
          hi = h.ch;
          ci = h.next;
        }
        if (!failed && lo.ch.codePointAt(0)! <= r.codePointAt(0)! && r.codePointAt(0)! <= hi.codePointAt(0)!) {
          match = true;
        }
        ranges++;
      }
      if (match === negated) failed = true;
    } else if (c === '?') {
      if (!failed) {
        if (s[i] === '/') failed = true;
        i++;
      }
      ci++;
    } else {
      let lit = c;
      if (c === '\\') {
        ci++;
        if (ci >= chunk.length) throw new BadPatternError();
        lit = chunk[ci]!;
      }
      if (!failed) {
        if (lit !== s[i]) failed = true;
        i++;
      }
      ci++;
    }
  }
  return failed ? -1 : i;
}

/** A possibly escaped character of a class; the class must continue after it. */
function classChar(chunk: string[], ci: number): { ch: string; next: number } {
  if (ci >= chunk.length || chunk[ci] === '-' || chunk[ci] === ']') throw new BadPatternError();
  if (chunk[ci] === '\\') {
    ci++;
    if (ci >= chunk.length) throw new BadPatternError();
  }
  const ch = chunk[ci]!;
  ci++;
  if (ci >= chunk.length) throw new BadPatternError();
  return { ch, next: ci };
}

// ---------------------------------------------------------------------------------------------
// Image IDs and how Docker resolves user input

const FULL_ID_RE = /^sha256:[a-f0-9]{64}$/;

/** True for `sha256:<64 lowercase hex>`. */
export function isFullImageID(s: string): boolean {
  return FULL_ID_RE.test(s);
}

/** Docker's `stringid.TruncateID`: drop any `algo:` prefix, keep 12 characters. */
export function truncateID(id: string): string {
  const colon = id.indexOf(':');
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

/**
 * The term the classic image store (`digestset.Lookup`) searches image IDs with. When `s` is
 * not even shaped like a digest, all of it is a hex prefix (`b39d2aee5456`); otherwise the
 * algorithm must equal the ID's and the part after `:` is the prefix (`sha256:b39d`).
 * There is no minimum length: `docker rmi 7` works when one image ID starts with 7.
 */
export interface ImageIDSearch {
  /** The algorithm the ID must have, or undefined to accept any. */
  algorithm: string | undefined;
  /** The hex prefix (or full hex) to look for. */
  hex: string;
}

export function imageIDSearch(s: string): ImageIDSearch {
  if (digestProblem(s) === 'checksum-invalid-format') return { algorithm: undefined, hex: s };
  const i = s.indexOf(':');
  return { algorithm: s.slice(0, i), hex: s.slice(i + 1) };
}

/** True when `id` (`algo:hex`) is matched by the search term (digestset's `checkShortMatch`). */
export function matchesImageIDSearch(id: string, search: ImageIDSearch): boolean {
  const colon = id.indexOf(':');
  const algorithm = id.slice(0, colon);
  const hex = id.slice(colon + 1);
  if (search.algorithm !== undefined && search.algorithm !== algorithm) return false;
  if (hex.length === search.hex.length) return hex === search.hex;
  return hex.startsWith(search.hex);
}

export type ImageIDResolution =
  | { status: 'found'; id: string }
  | { status: 'not-found' }
  /** digestset's `ambiguous digest string`; Docker then reports the image as not found. */
  | { status: 'ambiguous'; candidates: string[] };

/**
 * Resolves an ID prefix against a set of image IDs with digestset semantics: an exact match wins,
 * a unique prefix match is found, several are ambiguous.
 */
export function resolveImageIDPrefix(ids: Iterable<string>, s: string | ImageIDSearch): ImageIDResolution {
  const search = typeof s === 'string' ? imageIDSearch(s) : s;
  const matches: string[] = [];
  for (const id of ids) {
    if (!matchesImageIDSearch(id, search)) continue;
    const colon = id.indexOf(':');
    if (id.slice(0, colon) === search.algorithm && id.slice(colon + 1) === search.hex) {
      return { status: 'found', id };
    }
    matches.push(id);
  }
  if (matches.length === 0) return { status: 'not-found' };
  if (matches.length === 1) return { status: 'found', id: matches[0]! };
  return { status: 'ambiguous', candidates: [...new Set(matches)].sort() };
}

/**
 * Docker's `isImageIDPrefix` (daemon `ImageDelete`): whether the user named the image by ID
 * (then `rmi` deletes the image) rather than by reference (then it untags).
 */
export function isImageIDPrefix(imageID: string, possiblePrefix: string): boolean {
  if (imageID.startsWith(possiblePrefix)) return true;
  const colon = imageID.indexOf(':');
  return colon >= 0 && imageID.slice(colon + 1).startsWith(possiblePrefix);
}

/**
 * The containerd image store's `checkTruncatedID`: `(sha256:)?[a-f0-9]{4,64}` → the hex part, else
 * undefined. (The classic store, {@link imageIDSearch}, has no minimum length.)
 */
export function checkTruncatedID(id: string): string | undefined {
  const hex = id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
  return /^[a-f0-9]{4,64}$/.test(hex) ? hex : undefined;
}

/**
 * How Docker's image service (`GetImage`) resolves `refOrID`, for `rmi`, `inspect`, `tag`,
 * `history`, `save`, `run`… Parse with {@link parseAnyReference} (invalid input is an
 * invalid-argument error, e.g. `invalid reference format`), then:
 *
 * - `kind: 'id'` — a full ID (`<64hex>` or `sha256:<64hex>`, or another valid digest): look the image
 *   up by ID only, no reference and no prefix search.
 * - `kind: 'reference'` — first look up `storeKey` in the reference store (a bare name means
 *   `:latest`; with tag and digest only the digest counts); when that finds nothing, search
 *   image IDs with `idSearch` (so `b39d2aee5456` and `sha256:b39d` work as ID prefixes).
 *
 * When nothing is found Docker says {@link noSuchImageMessage}.
 */
export type ImageLookup =
  | { kind: 'id'; id: string; ref: DigestReference }
  | { kind: 'reference'; ref: NamedReference; storeKey: NamedReference; idSearch: ImageIDSearch };

export function classifyImageLookup(refOrID: string): ImageLookup {
  const ref = parseAnyReference(refOrID);
  if (ref.kind === 'digest') return { kind: 'id', id: ref.digest, ref };
  return { kind: 'reference', ref, storeKey: referenceStoreKey(ref), idSearch: imageIDSearch(refOrID) };
}

/**
 * The key the reference store uses for a reference (moby `refStore.Get`/`favorDigest`):
 * tag+digest → name@digest, bare name → name:latest, otherwise unchanged.
 */
export function referenceStoreKey(ref: NamedReference): NamedReference {
  return ref.dockerRef();
}

/**
 * Docker's `ErrImageDoesNotExist` text: `No such image: lab/nope:1`, `No such image: abc:latest`
 * for a bare name, `No such image: sha256:<hex>` for an ID.
 */
export function noSuchImageMessage(ref: AnyReference): string {
  const shown = ref.kind === 'named' ? ref.tagNameOnly() : ref;
  return `No such image: ${shown.familiarString()}`;
}

// ---------------------------------------------------------------------------------------------
// Registries

/** Docker's `normalizeIndexName`: `index.docker.io` → `docker.io`. */
export function normalizeIndexName(domain: string): string {
  return domain === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : domain;
}

/** True when the domain is Docker Hub (`docker.io` or `index.docker.io`). */
export function isDockerHub(domain: string): boolean {
  return domain === DEFAULT_DOMAIN || domain === LEGACY_DEFAULT_DOMAIN;
}

/**
 * The host to talk the registry API to for a reference's domain: `registry-1.docker.io` for
 * Docker Hub, the domain itself (with port, IPv6 in brackets) otherwise.
 */
export function registryHost(domain: string): string {
  return isDockerHub(domain) ? DEFAULT_REGISTRY_HOST : domain;
}

/**
 * The key of the credentials for a domain in `~/.docker/config.json`
 * (`https://index.docker.io/v1/` for Docker Hub, the domain otherwise), as the Docker CLI uses.
 */
export function authConfigKey(domain: string): string {
  return isDockerHub(domain) ? DOCKER_HUB_AUTH_KEY : domain;
}

/**
 * The Docker CLI's `credentials.ConvertToHostname`: reduces a stored server address such as
 * `https://index.docker.io/v1/` or `http://host:5000/` to `host[:port]`, to match config keys
 * written with a scheme against bare hostnames.
 */
export function convertToHostname(maybeURL: string): string {
  const sep = maybeURL.indexOf('://');
  if (sep >= 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(maybeURL.slice(0, sep))) {
    const hostPort = urlHost(maybeURL.slice(sep + 3));
    if (hostPort !== undefined && hostPort.host !== '') {
      const { host, port } = hostPort;
      if (port === '') return host;
      return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    }
  }
  const slash = maybeURL.indexOf('/');
  return slash >= 0 ? maybeURL.slice(0, slash) : maybeURL;
}

/** Host (without brackets) and port of a URL's authority, as Go's net/url sees them; undefined if invalid. */
function urlHost(afterScheme: string): { host: string; port: string } | undefined {
  let authority = afterScheme;
  const end = authority.search(/[/?#]/);
  if (end >= 0) authority = authority.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host = authority;
  let port = '';
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return undefined;
    const after = authority.slice(close + 1);
    if (after !== '' && !/^:[0-9]*$/.test(after)) return undefined;
    host = authority.slice(1, close);
    port = after.slice(1);
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      if (!/^:[0-9]*$/.test(authority.slice(colon))) return undefined;
      host = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
  }
  return { host, port };
}

/** True for official images: on Docker Hub with a single-element familiar name (`busybox`). */
export function isOfficialImage(ref: NamedReference): boolean {
  return isDockerHub(ref.domain) && !ref.familiarName.includes('/');
}
