// How a RUN with here-documents becomes a command line (BuildKit's dispatchRun rules).

import { posix } from 'node:path';
import { chompHeredocContent, mustParseHeredoc } from './heredoc.js';
import type { RunInstruction } from './instruction-types.js';

export interface RunCommandLine {
  /** The arguments, before the stage's SHELL is prepended (when prependShell). */
  args: string[];
  prependShell: boolean;
  /**
   * A script to provide read-only, mode 0755, at `/dev/pipes/<name>` (a single here-document
   * that starts with `#!` on a non-Windows image): `args` runs it.
   */
  script?: { dir: string; name: string; data: string };
}

/** The command a RUN executes; here-documents are inlined or turned into a script. */
export function runCommandLine(run: RunInstruction, imageOS = 'linux'): RunCommandLine {
  let args = run.cmdLine;
  if (run.files.length === 0) return { args: [...args], prependShell: run.prependShell };
  if (args.length !== 1 || !run.prependShell) {
    throw new Error(`parsing produced an invalid run command: [${args.join(' ')}]`);
  }
  if (mustParseHeredoc(args[0])) {
    // `RUN <<EOF`: the body is the command.
    const file = run.files[0];
    const data = file.chomp ? chompHeredocContent(file.data) : file.data;
    if (imageOS !== 'windows' && data.startsWith('#!')) {
      const dir = '/dev/pipes/';
      return { args: [posix.join(dir, file.name)], prependShell: true, script: { dir, name: file.name, data } };
    }
    return { args: [data], prependShell: true };
  }
  // `RUN cmd <<EOF ...`: hand the shell the line and the bodies, as a shell would read them.
  let script = args[0];
  for (const file of run.files) script += '\n' + file.data + file.name;
  args = [script];
  return { args, prependShell: true };
}
