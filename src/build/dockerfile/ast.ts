// The Dockerfile syntax tree, shaped like BuildKit's parser.Node so that its dump is identical.

import { quote, quoteList, toLower, trimSpace } from './go-text.js';

/** A here-document attached to an instruction (`<<EOF` ... `EOF`). */
export interface Heredoc {
  /** The delimiter word with quotes removed; also the file name for COPY/ADD. */
  name: string;
  /** n in `n<<EOF` (0 when absent). */
  fileDescriptor: number;
  /** False when any part of the delimiter was quoted: the body is taken literally. */
  expand: boolean;
  /** `<<-EOF`: leading tabs are stripped from the body lines (and the delimiter line). */
  chomp: boolean;
  /** The body as written (including its final newline; tabs not yet stripped). */
  content: string;
}

/**
 * One node of the tree. The root has one child per instruction; an instruction node has the
 * instruction keyword as `value` (as written) and its arguments as a chain of `next` nodes.
 * ONBUILD's single argument node has the nested instruction as its only child.
 */
export interface Node {
  value: string;
  next: Node | null;
  children: Node[];
  heredocs: Heredoc[];
  /** `json: true` when the arguments were written in JSON (exec) form. */
  attributes: { json?: boolean };
  /** The instruction line as the parser assembled it (continuations joined). */
  original: string;
  /** `--name=value` flags before the arguments, as written. */
  flags: string[];
  startLine: number;
  endLine: number;
  /** Comment lines directly above the instruction, `#` and surrounding spaces removed. */
  prevComment: string[];
}

export function newNode(fields: Partial<Node> = {}): Node {
  return {
    value: '',
    next: null,
    children: [],
    heredocs: [],
    attributes: {},
    original: '',
    flags: [],
    startLine: 0,
    endLine: 0,
    prevComment: [],
    ...fields,
  };
}

/** BuildKit's Node.Dump(): one `(instruction "arg" ...)` line per instruction. */
export function dumpNode(node: Node): string {
  let str = toLower(node.value);
  if (node.flags.length > 0) str += ' ' + quoteList(node.flags);
  for (const child of node.children) str += '(' + dumpNode(child) + ')\n';
  for (let n = node.next; n; n = n.next) {
    str += ' ' + (n.children.length > 0 ? dumpNode(n) : quote(n.value));
  }
  return trimSpace(str);
}

/** The argument values of an instruction node (ONBUILD: the nested keyword and its arguments). */
export function nodeArgs(node: Node): string[] {
  const result: string[] = [];
  for (let n = node; n.next; n = n.next) {
    const arg = n.next;
    if (arg.children.length === 0) {
      result.push(arg.value);
    } else if (arg.children.length === 1) {
      result.push(arg.children[0].value, ...nodeArgs(arg.children[0]));
    }
  }
  return result;
}
