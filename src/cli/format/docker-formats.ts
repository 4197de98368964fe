// The formats, column titles and row fields of docker/cli 28.2.2's `images` and `history`
// (cli/command/formatter/image.go, cli/command/image/formatter_history.go).

import { DefaultQuietFormat, RawFormatKey, TableFormatKey, ellipsis, isTableFormat, truncateID } from './formatter.js';
import { formatRFC3339, goTimeString, type Location } from './gotime.js';
import { humanDuration, humanSize, humanSizeWithPrecision } from './units.js';

export const imageTableFormat =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const imageTableFormatWithDigest =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const imageRawQuietFormat = 'image_id: {{.ID}}';
export const imageRawFormat = 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
export const imageRawFormatWithDigest =
  'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';

/** newImageContext's SubHeaderContext. */
export const imageHeaders: Readonly<Record<string, string>> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

export const imageRowType = '*formatter.imageContext';

/**
 * formatter.NewImageFormat: the effective format for `docker images` given --format (empty
 * meaning "table"), -q and --digests.
 */
export function newImageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === '' || source === TableFormatKey) {
    if (quiet) return DefaultQuietFormat;
    return digest ? imageTableFormatWithDigest : imageTableFormat;
  }
  if (source === RawFormatKey) {
    if (quiet) return imageRawQuietFormat;
    return digest ? imageRawFormatWithDigest : imageRawFormat;
  }
  if (isTableFormat(source) && digest && !source.includes('{{.Digest}}')) return source + '\t{{.Digest}}';
  return source;
}

/** The image.Summary fields an images row is computed from. */
export interface ImageSummaryLike {
  ID: string;
  /** Unix seconds. */
  Created: number;
  Size: number;
  /** -1 when not computed. */
  SharedSize: number;
  /** -1 when not computed. */
  Containers: number;
}

export interface ImageRow {
  ID: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  Containers: string;
  VirtualSize: string;
  SharedSize: string;
  UniqueSize: string;
}

/** The values of docker's imageContext methods for one (repository, tag, digest) line. */
export function imageRow(
  img: ImageSummaryLike,
  ref: { repo: string; tag: string; digest: string },
  opts: { trunc: boolean; nowMs?: number; location?: Location },
): ImageRow {
  const now = opts.nowMs ?? Date.now();
  return {
    ID: opts.trunc ? truncateID(img.ID) : img.ID,
    Repository: ref.repo,
    Tag: ref.tag,
    Digest: ref.digest,
    CreatedSince: humanDuration(now - img.Created * 1000) + ' ago',
    CreatedAt: goTimeString(img.Created, 0, opts.location),
    Size: humanSizeWithPrecision(img.Size, 3),
    Containers: img.Containers === -1 ? 'N/A' : String(img.Containers),
    VirtualSize: humanSize(img.Size),
    SharedSize: img.SharedSize === -1 ? 'N/A' : humanSize(img.SharedSize),
    UniqueSize: img.Size === -1 || img.SharedSize === -1 ? 'N/A' : humanSize(img.Size - img.SharedSize),
  };
}

export const historyTableFormat = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
export const historyNonHumanTableFormat = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export const historyHeaders: Readonly<Record<string, string>> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export const historyRowType = '*image.historyContext';

/** image.NewHistoryFormat: the effective format for `docker history` given --format, -q and -H. */
export function newHistoryFormat(source: string, quiet: boolean, human: boolean): string {
  if (source === '' || source === TableFormatKey) {
    if (quiet) return DefaultQuietFormat;
    return human ? historyTableFormat : historyNonHumanTableFormat;
  }
  return source;
}

/** The image.HistoryResponseItem fields a history row is computed from. */
export interface HistoryItemLike {
  ID: string;
  /** Unix seconds. */
  Created: number;
  CreatedBy: string;
  Size: number;
  Comment: string;
}

export interface HistoryRow {
  ID: string;
  CreatedAt: string;
  CreatedSince: string;
  CreatedBy: string;
  Size: string;
  Comment: string;
}

/** Before 2000-01-01 docker shows "N/A" rather than a human duration. */
const HISTORY_EPOCH = Date.UTC(2000, 0, 1) / 1000;

/** The values of docker's historyContext methods for one history entry. */
export function historyRow(item: HistoryItemLike, opts: { trunc: boolean; human: boolean; nowMs?: number; location?: Location }): HistoryRow {
  const createdAt = formatRFC3339(item.Created, opts.location);
  let createdSince = createdAt;
  if (opts.human) {
    const now = opts.nowMs ?? Date.now();
    createdSince = item.Created <= HISTORY_EPOCH ? 'N/A' : humanDuration(now - item.Created * 1000) + ' ago';
  }
  const createdBy = item.CreatedBy.replaceAll('\t', ' ');
  return {
    ID: opts.trunc ? truncateID(item.ID) : item.ID,
    CreatedAt: createdAt,
    CreatedSince: createdSince,
    CreatedBy: opts.trunc ? ellipsis(createdBy, 45) : createdBy,
    Size: opts.human ? humanSizeWithPrecision(item.Size, 3) : String(item.Size),
    Comment: item.Comment,
  };
}
