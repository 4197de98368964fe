/** The archive layer: tar reading/writing, layers, compression, digests, safe extraction. */
export { TarType, headerDefaults, isHeaderOnlyType, tarTimeFromDate, tarTimeToDate, tarTimeFromNs, toTarTime } from './tar-header.js';
export type { TarHeader, TarHeaderInit, TarTime, TarFormat, TarTypeflag } from './tar-header.js';
export { readTar } from './tar-reader.js';
export type { ReadTarOptions, TarEntry, TarEntryBody } from './tar-reader.js';
export { TarWriter, tarChunks, tarStream } from './tar-writer.js';
export type { TarBodySource, TarInputEntry } from './tar-writer.js';
export { encodeHeader } from './tar-encode.js';
export type { EncodedHeader } from './tar-encode.js';
export { layerFromDirectory, layerFromEntries, compareWalkOrder, capabilityForArchive } from './layer-writer.js';
export type { LayerEntry, LayerOptions, DirectoryLayerOptions } from './layer-writer.js';
export { CONVENTIONS, dockerFileHeader, hostNames, ownerNames, devMajorMinor } from './docker-headers.js';
export type { HeaderConventions, ConventionName, FileFacts, FileKind, NameLookup } from './docker-headers.js';
export {
  compress,
  createCompressor,
  createDecompressor,
  decompress,
  decompressAuto,
  detectCompression,
  peekStream,
  DETECT_BYTES,
} from './compression.js';
export type { Compression, CompressOptions, DecompressOptions } from './compression.js';
export { DigestSink, DigestStream, digestOf, digestingIterable } from './digest-stream.js';
export type { DigestResult } from './digest-stream.js';
export { extractTar, extractEntries, confine } from './extract.js';
export type { ExtractOptions, ExtractResult } from './extract.js';
export { loadNative, nativeAvailable } from './native.js';
export type { NativeArchive, NativeStat } from './native.js';
export { WHITEOUT_PREFIX, WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, OVERLAY_OPAQUE_XATTR, classifyWhiteout } from './whiteout.js';
