export { dumpNode, nodeArgs, type Heredoc, type Node } from './ast.js';
export { parse, type ParseResult, type ParseWarning } from './parser.js';
