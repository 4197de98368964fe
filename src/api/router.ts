import type { Call } from './call.js';

export type Handler = (call: Call) => Promise<void> | void;

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

/**
 * Routes with gorilla/mux's path templates as dockerd registers them: `{name}` is one segment,
 * `{name:.*}` anything (image names have slashes). First registered, first matched.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, template: string, handler: Handler): this {
    const names: string[] = [];
    let source = '^';
    let last = 0;
    for (const m of template.matchAll(/\{(\w+)(?::([^}]*))?\}/g)) {
      source += escapeRegex(template.slice(last, m.index));
      names.push(m[1]!);
      source += `(${m[2] ?? '[^/]+'})`;
      last = m.index! + m[0].length;
    }
    source += escapeRegex(template.slice(last)) + '$';
    this.routes.push({ method, regex: new RegExp(source, 's'), names, handler });
    return this;
  }

  get(t: string, h: Handler): this {
    return this.add('GET', t, h);
  }

  post(t: string, h: Handler): this {
    return this.add('POST', t, h);
  }

  delete(t: string, h: Handler): this {
    return this.add('DELETE', t, h);
  }

  head(t: string, h: Handler): this {
    return this.add('HEAD', t, h);
  }

  put(t: string, h: Handler): this {
    return this.add('PUT', t, h);
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = m[i + 1]!));
      return { handler: r.handler, params };
    }
    return undefined;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
