// Node built-ins that only some commands use, required on first use: loading node:crypto,
// node:fs/promises, node:child_process or node:zlib costs milliseconds that `images` and `rmi`
// need not pay.
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as FsPromises from 'node:fs/promises';
import type * as ChildProcess from 'node:child_process';
import type * as Zlib from 'node:zlib';

const require = createRequire(import.meta.url);
let crypto: typeof Crypto | undefined;
let fsPromises: typeof FsPromises | undefined;
let childProcess: typeof ChildProcess | undefined;
let zlib: typeof Zlib | undefined;

export const nodeCrypto = (): typeof Crypto => (crypto ??= require('node:crypto') as typeof Crypto);
export const nodeFsPromises = (): typeof FsPromises => (fsPromises ??= require('node:fs/promises') as typeof FsPromises);
export const nodeChildProcess = (): typeof ChildProcess => (childProcess ??= require('node:child_process') as typeof ChildProcess);
export const nodeZlib = (): typeof Zlib => (zlib ??= require('node:zlib') as typeof Zlib);
