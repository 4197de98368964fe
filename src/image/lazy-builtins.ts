// Node built-ins that only some commands use, required on first use: loading node:crypto,
// node:fs/promises or node:child_process costs milliseconds that `images` and `rmi` need not pay.
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as FsPromises from 'node:fs/promises';
import type * as ChildProcess from 'node:child_process';

const require = createRequire(import.meta.url);
let crypto: typeof Crypto | undefined;
let fsPromises: typeof FsPromises | undefined;
let childProcess: typeof ChildProcess | undefined;

export const nodeCrypto = (): typeof Crypto => (crypto ??= require('node:crypto') as typeof Crypto);
export const nodeFsPromises = (): typeof FsPromises => (fsPromises ??= require('node:fs/promises') as typeof FsPromises);
export const nodeChildProcess = (): typeof ChildProcess => (childProcess ??= require('node:child_process') as typeof ChildProcess);
