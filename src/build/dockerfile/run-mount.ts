// RUN --mount=type=cache|bind|tmpfs|secret|ssh,... parsed like BuildKit's parseMount.

import { csvFields } from './csv-fields.js';
import { parseBool, parseUint, ramInBytes } from './go-parse.js';
import { toLower } from './go-text.js';
import { withSuggestion } from './suggest.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

export interface Mount {
  type: MountType;
  /** Stage, image or named context to mount from (bind, cache). */
  from: string;
  source: string;
  target: string;
  readOnly: boolean;
  /** tmpfs size in bytes (0: unlimited). */
  sizeLimit: number;
  /** `id=`: cache id, secret id or ssh id. */
  cacheId: string;
  /** '' when not given. */
  cacheSharing: CacheSharing | '';
  /** secret/ssh: fail when not provided. */
  required: boolean;
  /** secret: expose as this environment variable ('' means the default name). */
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

const mountTypes: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const sharingModes: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const allKeys = [
  'type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid',
  'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env',
];

/** A word expander (variable expansion) applied to option values. */
export type WordExpander = (word: string) => string;

/**
 * Parses one --mount value. Without an expander only the checks BuildKit makes when it parses
 * the Dockerfile are done (CSV syntax, no variables in from=) and a placeholder bind mount is
 * returned: BuildKit evaluates the options once variables can be expanded, at build time.
 */
export function parseMount(value: string, expander: WordExpander | null): Mount {
  let fields: string[];
  try {
    fields = csvFields(value);
  } catch (err) {
    throw new Error(`failed to parse csv mounts: ${(err as Error).message}`, { cause: err });
  }
  const m: Mount = {
    type: 'bind',
    from: '',
    source: '',
    target: '',
    readOnly: false,
    sizeLimit: 0,
    cacheId: '',
    cacheSharing: '',
    required: false,
  };
  let roAuto = true;
  const invalid = (key: string, v: string) => new Error(`invalid value for ${key}: ${v}`);
  const unexpected = (key: string) => new Error(`unexpected key '${key}' for mount type '${m.type}'`);

  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = toLower(eq < 0 ? field : field.slice(0, eq));
    let val = eq < 0 ? '' : field.slice(eq + 1);

    if (eq < 0) {
      if (!expander) continue;
      switch (key) {
        case 'readonly':
        case 'ro':
          m.readOnly = true;
          roAuto = false;
          continue;
        case 'readwrite':
        case 'rw':
          m.readOnly = false;
          roAuto = false;
          continue;
        case 'required':
          if (m.type === 'secret' || m.type === 'ssh') {
            m.required = true;
            continue;
          }
          throw unexpected(key);
        default:
          throw new Error(`invalid field '${field}' must be a key=value pair`);
      }
    }

    if (expander) {
      val = expander(val);
    } else {
      if (key === 'from') {
        const d = val.indexOf('$');
        if (d !== -1 && d !== val.length - 1) {
          throw new Error(`'${key}' doesn't support variable expansion, define alias stage instead`);
        }
      }
      continue;
    }

    switch (key) {
      case 'type': {
        const t = toLower(val) as MountType;
        if (!mountTypes.includes(t)) throw new Error(withSuggestion(`unsupported mount type "${val}"`, val, mountTypes, true));
        m.type = t;
        break;
      }
      case 'from':
        m.from = val;
        break;
      case 'source':
      case 'src':
        m.source = val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = val;
        break;
      case 'readonly':
      case 'ro':
        m.readOnly = boolOption(key, val);
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readOnly = !boolOption(key, val);
        roAuto = false;
        break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') throw unexpected(key);
        m.required = boolOption(key, val);
        break;
      case 'size':
        if (m.type !== 'tmpfs') throw unexpected(key);
        try {
          m.sizeLimit = ramInBytes(val);
        } catch {
          throw invalid(key, val);
        }
        break;
      case 'id':
        m.cacheId = val;
        break;
      case 'sharing': {
        const s = toLower(val) as CacheSharing;
        if (!sharingModes.includes(s)) throw new Error(withSuggestion(`unsupported sharing value "${val}"`, val, sharingModes, true));
        m.cacheSharing = s;
        break;
      }
      case 'mode':
        m.mode = uintOption(val, 8, 'mode');
        break;
      case 'uid':
        m.uid = uintOption(val, 10, 'uid');
        break;
      case 'gid':
        m.gid = uintOption(val, 10, 'gid');
        break;
      case 'env':
        m.env = val;
        break;
      default:
        throw new Error(withSuggestion(`unexpected key '${key}' in '${field}'`, key, allKeys, true));
    }
  }

  if (!expander) {
    m.readOnly = true;
    return m;
  }

  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfoAllowed) {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (m[k] !== undefined) throw new Error(`${k} not allowed for "${m.type}" type mounts`);
    }
  }
  if (roAuto) m.readOnly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== '') throw new Error('secret mount should not have a from');
    if (m.cacheSharing !== '') throw new Error('secret mount should not define sharing');
    if (m.source === '' && m.target === '' && m.cacheId === '') {
      throw new Error('invalid secret mount. one of source, target required');
    }
    if (m.source !== '' && m.cacheId !== '') throw new Error("both source and id can't be set");
  }
  if (m.cacheSharing !== '' && m.type !== 'cache') throw new Error(`invalid cache sharing set for ${m.type} mount`);
  return m;
}

function boolOption(key: string, val: string): boolean {
  try {
    return parseBool(val);
  } catch {
    throw new Error(`invalid value for ${key}: ${val}`);
  }
}

function uintOption(val: string, base: 8 | 10, what: string): number {
  try {
    return Number(parseUint(val, base, 32));
  } catch {
    throw new Error(`invalid value ${val} for ${what}`);
  }
}
