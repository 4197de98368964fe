// Executes parsed templates with the semantics of Go's text/template/exec.go.

import { formatValue } from '../gofmt.js';
import { quote } from '../strconv.js';
import {
  GoFloat,
  GoNil,
  goTypeName,
  intValue,
  isTrue,
  kindOf,
  mapEntries,
  isGoFunc,
  type ParamType,
} from '../values.js';
import { canBeNil, isTemplateFunc, paramTypeName, toSpec, type FuncSpec } from './funcspec.js';
import {
  errorContext,
  nodeString,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type IdentifierNode,
  type ListNode,
  type Node,
  type NumberNode,
  type PipeNode,
  type TemplateNode,
  type Tree,
  type VariableNode,
} from './nodes.js';

export class ExecError extends Error {
  override name = 'ExecError';
  /** Text written before the error, as Go leaves it in the writer. */
  output = '';
}

export type MissingKey = 'invalid' | 'zero' | 'error';

/** What the executor needs from a template: its tree, how to find others and its functions. */
export interface ExecTemplate {
  readonly name: string;
  readonly tree: Tree | null;
  readonly missingKey: MissingKey;
  lookup(name: string): ExecTemplate | undefined;
  findFunction(name: string): { spec: FuncSpec; builtin: boolean } | undefined;
}

/** Marks an absent final pipeline argument (Go's missingVal). */
const MISSING = Symbol('missing');
type Val = unknown;

class BreakSignal {}
class ContinueSignal {}
const BREAK = new BreakSignal();
const CONTINUE = new ContinueSignal();

const MAX_EXEC_DEPTH = 1000;

interface Variable {
  name: string;
  value: Val;
}

class State {
  node: Node | null = null;
  constructor(
    public tmpl: ExecTemplate,
    readonly out: string[],
    public vars: Variable[],
    readonly depth: number,
  ) {}

  errorf(msg: string): never {
    const name = this.tmpl.name;
    let text: string;
    if (this.node === null) text = `template: ${name}: ${msg}`;
    else {
      const { location, context } = errorContext(this.node);
      text = `template: ${location}: executing ${quote(name)} at <${context}>: ${msg}`;
    }
    throw new ExecError(text);
  }

  at(node: Node): void {
    this.node = node;
  }

  // ---- variables ----

  mark(): number {
    return this.vars.length;
  }

  pop(mark: number): void {
    this.vars.length = mark;
  }

  push(name: string, value: Val): void {
    this.vars.push({ name, value });
  }

  setVar(name: string, value: Val): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  setTopVar(n: number, value: Val): void {
    this.vars[this.vars.length - n].value = value;
  }

  varValue(name: string): Val {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.errorf(`undefined variable: ${name}`);
  }

  // ---- walking ----

  walk(dot: Val, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'comment':
        return;
      case 'if':
      case 'with':
        this.walkIfOrWith(node, dot);
        return;
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'text':
        this.out.push(node.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkIfOrWith(node: BranchNode, dot: Val): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      const { truth, ok } = isTrue(val === null ? undefined : val);
      if (!ok) this.errorf(`if/with can't use ${formatValue(val)}`);
      if (truth) this.walk(node.type === 'with' ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: Val, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const oneIteration = (index: Val, elem: Val): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0].ident[0], decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1].ident[0], elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      };
      let ran = false;
      switch (kindOf(val)) {
        case 'int': {
          if (decl.length > 1) this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
          const n = intValue(val);
          for (let i = 0n; i < n; i++) {
            ran = true;
            oneIteration(undefined, Number(i));
          }
          break;
        }
        case 'slice':
          (val as Val[]).forEach((elem, i) => {
            ran = true;
            oneIteration(i, elem);
          });
          break;
        case 'map':
          for (const [k, v] of mapEntries(val)) {
            ran = true;
            oneIteration(k, v);
          }
          break;
        case 'invalid':
        case 'nil':
        case 'nilslice':
        case 'nilmap':
          break;
        default:
          this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: Val, t: TemplateNode): void {
    this.at(t);
    const tmpl = this.tmpl.lookup(t.name);
    if (tmpl === undefined || tmpl.tree === null) this.errorf(`template ${quote(t.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot = this.evalPipeline(dot, t.pipe);
    const s = new State(tmpl, this.out, [{ name: '$', value: newDot }], this.depth + 1);
    s.walk(newDot, tmpl.tree!.root!);
  }

  // ---- evaluation ----

  evalPipeline(dot: Val, pipe: PipeNode | null): Val {
    if (pipe === null) return undefined;
    this.at(pipe);
    let value: Val = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // A nil interface{} is dug into, leaving the invalid value.
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0], value);
      else this.push(v.ident[0], value);
    }
    return value;
  }

  private notAFunction(args: Node[], final: Val): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  private evalCommand(dot: Val, cmd: CommandNode, final: Val): Val {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      // falls through: errorf never returns
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
    this.errorf(`can't evaluate command ${quote(nodeString(first))}`);
  }

  private idealConstant(c: NumberNode): Val {
    this.at(c);
    if (c.isComplex) {
      if (c.isFloat) return new GoFloat(c.float64);
      this.errorf(`complex constant ${c.text} is not supported`);
    }
    const hexInt = c.text.length > 2 && c.text[0] === '0' && /[xX]/.test(c.text[1]) && !/[pP]/.test(c.text);
    const runeInt = c.text[0] === "'";
    if (c.isFloat && !hexInt && !runeInt && /[.eEpP]/.test(c.text)) return new GoFloat(c.float64);
    if (c.isInt) return intResult(c.int64);
    if (c.isUint) this.errorf(`${c.text} overflows int`);
    return undefined;
  }

  private evalFieldNode(dot: Val, field: FieldNode, args: Node[] | null, final: Val): Val {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Val, chain: ChainNode, args: Node[] | null, final: Val): Val {
    this.at(chain);
    if (chain.field.length === 0) this.errorf('internal error: no fields in evalChainNode');
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, 'value', chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: Val, v: VariableNode, args: Node[] | null, final: Val): Val {
    this.at(v);
    const value = this.varValue(v.ident[0]);
    if (v.ident.length === 1) {
      this.notAFunction(args ?? [v], final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Val, receiver: Val, node: Node, ident: string[], args: Node[] | null, final: Val): Val {
    for (let i = 0; i < ident.length - 1; i++) receiver = this.evalField(dot, ident[i], node, null, MISSING, receiver);
    return this.evalField(dot, ident[ident.length - 1], node, args, final, receiver);
  }

  private evalFunction(dot: Val, node: IdentifierNode, cmd: Node, args: Node[] | null, final: Val): Val {
    this.at(node);
    const found = this.tmpl.findFunction(node.ident);
    if (found === undefined) this.errorf(`${quote(node.ident)} is not a defined function`);
    return this.evalCall(dot, found.spec, found.builtin, cmd, node.ident, args, final);
  }

  private evalField(dot: Val, fieldName: string, node: Node, args: Node[] | null, final: Val, receiver: Val): Val {
    const kind = kindOf(receiver);
    if (kind === 'invalid') {
      if (this.tmpl.missingKey === 'error') this.errorf(`nil data; no entry for key ${quote(fieldName)}`);
      return undefined;
    }
    if (kind === 'nil') this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    if (kind === 'nilptr') this.errorf(`nil pointer evaluating ${goTypeName(receiver)}.${fieldName}`);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (kind === 'struct') {
      const obj = receiver as Record<string, unknown>;
      if (fieldName in obj && !(fieldName in Object.prototype)) {
        const value = obj[fieldName];
        if (isTemplateFunc(value) && (!isGoFunc(value) || value.method)) {
          return this.evalCall(dot, toSpec(value, obj), false, node, fieldName, args, final);
        }
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return value;
      }
    } else if (kind === 'map' || kind === 'nilmap') {
      if (!(receiver instanceof Map) || [...receiver.keys()].every((k) => typeof k === 'string')) {
        if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
        const result = mapIndex(receiver, fieldName);
        if (result === undefined) {
          switch (this.tmpl.missingKey) {
            case 'zero':
              return mapZero(receiver);
            case 'error':
              this.errorf(`map has no entry for key ${quote(fieldName)}`);
          }
        }
        return result;
      }
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${goTypeName(receiver)}`);
  }

  private evalCall(
    dot: Val,
    fn: FuncSpec,
    isBuiltin: boolean,
    node: Node,
    name: string,
    argNodes: Node[] | null,
    final: Val,
  ): Val {
    const args = argNodes === null ? [] : argNodes.slice(1);
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    let numFixed = args.length;
    if (fn.variadic !== undefined) {
      numFixed = fn.params.length;
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`);
    } else if (numIn !== fn.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
    }

    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: Val = undefined;
      for (const arg of args) {
        v = this.evalArg(dot, 'value', arg);
        if (truth(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }

    const argv: Val[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, fn.params[i], args[i]));
    if (fn.variadic !== undefined) for (; i < args.length; i++) argv.push(this.evalArg(dot, fn.variadic, args[i]));
    if (final !== MISSING) {
      let t: ParamType;
      if (fn.variadic !== undefined) t = numIn - 1 < numFixed ? fn.params[numIn - 1] : fn.variadic;
      else t = fn.params[fn.params.length - 1];
      argv.push(this.validateType(final, t));
    }
    if (isBuiltin && name === 'call') {
      const callee = args.length === 0 ? formatValue(final) : nodeString(args[0]);
      argv.unshift(callee);
    }
    try {
      return (fn.fn as (...a: Val[]) => Val).apply(fn.self, argv);
    } catch (e) {
      if (e instanceof ExecError) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private validateType(value: Val, typ: ParamType): Val {
    if (value === undefined) {
      switch (typ) {
        case 'value':
          return undefined;
        case 'any':
          return null;
        case 'strings':
          return new GoNil('slice', '[]string');
      }
      this.errorf(`invalid value; expected ${paramTypeName(typ)}`);
    }
    const k = kindOf(value);
    let ok: boolean;
    switch (typ) {
      case 'value':
      case 'any':
        return value;
      case 'string':
        ok = typeof value === 'string';
        break;
      case 'int':
        ok = k === 'int';
        break;
      case 'float':
        ok = k === 'float';
        break;
      case 'bool':
        ok = k === 'bool';
        break;
      case 'strings':
        ok = (k === 'slice' && (value as Val[]).every((x) => typeof x === 'string')) || k === 'nilslice';
        break;
    }
    if (!ok) {
      const got = value === null ? 'interface {}' : goTypeName(value);
      this.errorf(`wrong type for value; expected ${paramTypeName(typ)}; got ${got}`);
    }
    return value;
  }

  private evalArg(dot: Val, typ: ParamType, n: Node): Val {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (canBeNil(typ)) return typ === 'strings' ? new GoNil('slice', '[]string') : typ === 'any' ? null : undefined;
        this.errorf(`cannot assign nil to ${paramTypeName(typ)}`);
      // falls through: errorf never returns
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), typ);
    }
    switch (typ) {
      case 'bool':
        if (n.type === 'bool') return n.value;
        this.errorf(`expected bool; found ${nodeString(n)}`);
      // falls through: errorf never returns
      case 'float':
        if (n.type === 'number' && n.isFloat) return new GoFloat(n.float64);
        this.errorf(`expected float; found ${nodeString(n)}`);
      // falls through: errorf never returns
      case 'int':
        if (n.type === 'number' && n.isInt) return intResult(n.int64);
        this.errorf(`expected integer; found ${nodeString(n)}`);
      // falls through: errorf never returns
      case 'string':
        if (n.type === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      // falls through: errorf never returns
      case 'any':
      case 'value':
        return this.evalEmptyInterface(dot, n);
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${paramTypeName(typ)}`);
  }

  private evalEmptyInterface(dot: Val, n: Node): Val {
    this.at(n);
    switch (n.type) {
      case 'bool':
        return n.value;
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return n.text;
    }
    this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  private printValue(n: Node, v: Val): void {
    this.at(n);
    if (v === undefined) {
      this.out.push('<no value>');
      return;
    }
    const k = kindOf(v);
    if (k === 'func') this.errorf(`can't print ${nodeString(n)} of type ${goTypeName(v)}`);
    this.out.push(formatValue(v));
  }
}

function intResult(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

export function truth(v: Val): boolean {
  return isTrue(v === null ? undefined : v).truth;
}

export function mapIndex(m: Val, key: string): Val {
  if (m instanceof Map) return m.get(key);
  if (m instanceof GoNil) return undefined;
  const obj = m as Record<string, unknown>;
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/**
 * Zero value of a map's element type, inferred from its values ("" for a map of strings, 0 for
 * ints, ...); nil (an interface{} zero) when the values are mixed or there are none.
 */
export function mapZero(m: Val): Val {
  const kinds = new Set(mapEntries(m).map((e) => kindOf(e[1])));
  if (kinds.size !== 1) return null;
  switch ([...kinds][0]) {
    case 'string':
      return '';
    case 'int':
      return 0;
    case 'float':
      return new GoFloat(0);
    case 'bool':
      return false;
  }
  return null;
}

/** Runs tmpl over data. Throws ExecError (with the partial output) on failure. */
export function execute(tmpl: ExecTemplate, data: Val): string {
  const out: string[] = [];
  const state = new State(tmpl, out, [{ name: '$', value: data }], 0);
  try {
    if (tmpl.tree === null || tmpl.tree.root === null) state.errorf(`${quote(tmpl.name)} is an incomplete or empty template`);
    state.walk(data, tmpl.tree!.root as ListNode);
  } catch (e) {
    if (e instanceof ExecError) {
      e.output = out.join('');
      throw e;
    }
    throw e;
  }
  return out.join('');
}

