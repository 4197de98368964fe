// What an image's filesystem holds, read from its layers' tar headers (no unpacking): enough to
// resolve COPY destinations through symlinks and to know which directories already exist.

import { posix } from 'node:path';
import { TarType, type TarHeader } from '../archive/tar-header.js';
import { readTar } from '../archive/tar-reader.js';
import type { ByteInput } from '../archive/byte-source.js';
import { goClean } from './ignore.js';

export interface FsNode {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  mtimeSec?: number;
}

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';

export class FsIndex {
  readonly nodes: Map<string, FsNode>;

  constructor(from?: FsIndex) {
    this.nodes = from ? new Map(from.nodes) : new Map([['/', { type: 'dir', mode: 0o755, uid: 0, gid: 0 }]]);
  }

  clone(): FsIndex {
    return new FsIndex(this);
  }

  private removeTree(p: string): void {
    this.nodes.delete(p);
    const prefix = p === '/' ? '/' : p + '/';
    for (const k of [...this.nodes.keys()]) if (k.startsWith(prefix)) this.nodes.delete(k);
  }

  /** Applies one layer entry (OCI whiteouts included). */
  applyHeader(h: TarHeader): void {
    const name = goClean('/' + h.name);
    const base = posix.basename(name);
    const dir = posix.dirname(name);
    if (base === OPAQUE) {
      const prefix = dir === '/' ? '/' : dir + '/';
      for (const k of [...this.nodes.keys()]) if (k.startsWith(prefix) && k !== dir) this.nodes.delete(k);
      return;
    }
    if (base.startsWith(WH)) {
      this.removeTree(posix.join(dir, base.slice(WH.length)));
      return;
    }
    let type: FsNode['type'] = 'other';
    if (h.type === TarType.Dir) type = 'dir';
    else if (h.type === TarType.Symlink) type = 'symlink';
    else if (h.type === TarType.File || h.type === TarType.RegA || h.type === TarType.Link) type = 'file';
    const prev = this.nodes.get(name);
    if (prev && prev.type === 'dir' && type !== 'dir') this.removeTree(name);
    const node: FsNode = { type, mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, mtimeSec: h.mtime.sec };
    if (type === 'symlink') node.linkname = h.linkname;
    this.nodes.set(name, node);
  }

  async applyLayer(input: ByteInput): Promise<void> {
    for await (const e of readTar(input, { requireEndMarker: false })) {
      this.applyHeader(e.header);
      await e.body?.discard();
    }
  }

  set(path: string, node: FsNode): void {
    const p = goClean('/' + path);
    const prev = this.nodes.get(p);
    if (prev && prev.type === 'dir' && node.type !== 'dir') this.removeTree(p);
    this.nodes.set(p, node);
  }

  get(path: string): FsNode | undefined {
    return this.nodes.get(goClean('/' + path));
  }

  /**
   * Resolves a path inside the root as if the root were '/': every symlink met on the way is
   * followed (the last one only when followFinal), never leaving the root.
   */
  resolve(path: string, followFinal = true): string {
    let pending = goClean('/' + path).split('/').filter(Boolean);
    let cur = '/';
    let hops = 0;
    while (pending.length) {
      const part = pending.shift()!;
      const next = posix.join(cur, part);
      const node = this.nodes.get(next);
      if (node?.type === 'symlink' && (pending.length > 0 || followFinal)) {
        if (++hops > 255) throw new Error(`too many levels of symbolic links: ${path}`);
        const target = node.linkname ?? '';
        const base = target.startsWith('/') ? '/' : cur;
        const joined = goClean(posix.join(base, target));
        pending = [...joined.split('/').filter(Boolean), ...pending];
        cur = '/';
        continue;
      }
      cur = next;
    }
    return cur;
  }
}
