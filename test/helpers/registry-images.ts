import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** A reproducible tar of the given files (GNU tar: sorted, mtime 0, root-owned). */
export function tarOf(dir: string, name: string, files: Record<string, string | Buffer>): Buffer {
  const root = join(dir, name + '.d');
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), content);
  }
  const out = join(dir, name + '.tar');
  execFileSync('tar', ['-C', root, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', out, '.']);
  return readFileSync(out);
}

export interface LayoutImage {
  /** Uncompressed layer tars, bottom first. */
  layers: Buffer[];
  architecture?: string;
  variant?: string;
  cmd?: string[];
}

export interface WrittenLayout {
  dir: string;
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
}

/**
 * Writes an OCI image layout with one image (gzip layers, OCI manifest), tagged `ref`, that
 * skopeo can copy to a registry: `skopeo copy oci:DIR:REF docker://…`.
 */
export function writeOciLayout(dir: string, ref: string, img: LayoutImage): WrittenLayout {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => {
    const d = sha(b);
    writeFileSync(join(blobs, d.slice(7)), b);
    return d;
  };
  const gz = img.layers.map((l) => gzipSync(l, { level: 6 }));
  const layerDigests = gz.map(put);
  const config = Buffer.from(
    JSON.stringify({
      architecture: img.architecture ?? 'amd64',
      ...(img.variant ? { variant: img.variant } : {}),
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: img.cmd ?? ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: img.layers.map(sha) },
      history: img.layers.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'test layer' })),
    }),
  );
  const configDigest = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: gz.map((g, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigests[i], size: g.length })),
    }),
  );
  const manifestDigest = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': ref } },
      ],
    }),
  );
  return { dir, manifestDigest, configDigest, layerDigests };
}

/** skopeo copy to a plain-HTTP or self-signed registry. */
export function skopeo(args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
