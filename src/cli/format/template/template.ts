// The Template type: Go's text/template.Template over the lexer, parser and executor here.

import { quote } from '../strconv.js';
import { builtinFuncs } from './builtins.js';
import { execute, type ExecTemplate, type MissingKey } from './exec.js';
import { toSpec, type FuncMap, type FuncSpec } from './funcspec.js';
import { parseTrees } from './parser.js';
import type { Tree } from './nodes.js';

/** State shared by a template and the templates it defines, as Go's *common. */
interface Common {
  templates: Map<string, Template>;
  funcs: Map<string, FuncSpec>;
  missingKey: MissingKey;
}

export class Template implements ExecTemplate {
  private constructor(
    readonly name: string,
    private readonly common: Common,
    public tree: Tree | null,
  ) {}

  /** template.New(name), optionally with functions (Funcs). */
  static create(name = '', funcs?: FuncMap): Template {
    const t = new Template(name, { templates: new Map(), funcs: new Map(), missingKey: 'invalid' }, null);
    if (funcs) t.funcs(funcs);
    return t;
  }

  get missingKey(): MissingKey {
    return this.common.missingKey;
  }

  /** Adds or replaces functions, like Go's Template.Funcs (also usable after Parse). */
  funcs(map: FuncMap): this {
    for (const [name, f] of Object.entries(map)) {
      if (!/^[\p{L}_][\p{L}\p{Nd}_]*$/u.test(name)) throw new Error(`function name ${quote(name)} is not a valid identifier`);
      this.common.funcs.set(name, toSpec(f));
    }
    return this;
  }

  /** Template.Option: "missingkey=default|invalid|zero|error". */
  option(...opts: string[]): this {
    for (const opt of opts) {
      const m = /^missingkey=(.*)$/.exec(opt);
      if (!m) throw new Error(`unrecognized option: ${opt}`);
      switch (m[1]) {
        case 'default':
        case 'invalid':
          this.common.missingKey = 'invalid';
          break;
        case 'zero':
        case 'error':
          this.common.missingKey = m[1];
          break;
        default:
          throw new Error(`unrecognized option: ${opt}`);
      }
    }
    return this;
  }

  /** Parses text as the body of this template; {{define}}d templates join the set. */
  parse(text: string): this {
    const hasFunction = (n: string): boolean => this.common.funcs.has(n) || Object.prototype.hasOwnProperty.call(builtinFuncs, n);
    const trees = parseTrees(this.name, text, hasFunction);
    for (const [name, tree] of trees) this.addTree(name, tree);
    return this;
  }

  private addTree(name: string, tree: Tree): void {
    if (name === this.name) {
      if (this.tree === null || !isEmpty(tree) || isEmpty(this.tree)) this.tree = tree;
      this.common.templates.set(name, this);
      return;
    }
    const old = this.common.templates.get(name);
    if (old !== undefined && old.tree !== null && isEmpty(tree) && !isEmpty(old.tree)) return;
    if (old !== undefined) old.tree = tree;
    else this.common.templates.set(name, new Template(name, this.common, tree));
  }

  lookup(name: string): Template | undefined {
    return this.common.templates.get(name);
  }

  findFunction(name: string): { spec: FuncSpec; builtin: boolean } | undefined {
    const own = this.common.funcs.get(name);
    if (own !== undefined) return { spec: own, builtin: false };
    if (Object.prototype.hasOwnProperty.call(builtinFuncs, name)) return { spec: toSpec(builtinFuncs[name]), builtin: true };
    return undefined;
  }

  /** Names of the templates with a body, as in Go's DefinedTemplates message. */
  definedTemplates(): string {
    const names = [...this.common.templates.values()].filter((t) => t.tree?.root).map((t) => quote(t.name));
    return names.length === 0 ? '' : '; defined templates are: ' + names.join(', ');
  }

  /** Runs the template over data and returns its output; throws ExecError (with .output). */
  execute(data: unknown): string {
    return execute(this, data);
  }

  /** ExecuteTemplate: runs the associated template called name. */
  executeTemplate(name: string, data: unknown): string {
    const t = this.lookup(name);
    if (t === undefined) throw new Error(`template: no template ${quote(name)} associated with template ${quote(this.name)}`);
    return t.execute(data);
  }
}

function isEmpty(tree: Tree): boolean {
  return tree.root === null || tree.root.nodes.every((n) => n.type === 'comment' || (n.type === 'text' && n.text.trim() === ''));
}
