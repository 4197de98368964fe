// Shell wildcard patterns for ${VAR#...}, ${VAR%...} and ${VAR/...}, evaluated with Go's
// regexp semantics as BuildKit does. Errors are plain Errors (the lexer adds its context).

/**
 * A shell wildcard pattern (? one char, * any run; no bracket expressions) as a regular
 * expression with Go's semantics ('.' is anything but a newline).
 */
export function shellPatternToRegExp(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const chars = Array.from(pattern);
  let i = chars[0] === '\ufeff' ? 1 : 0; // text/scanner skips a leading BOM
  let out = anchored ? '^' : '';
  const star = greedy ? '[^\\n]*' : '[^\\n]*?';
  while (i < chars.length) {
    let tok = chars[i++];
    switch (tok) {
      case '*':
        out += star;
        continue;
      case '?':
        out += '[^\\n]';
        continue;
      case '\\': {
        // \} and \/ only protect the delimiters of ${}; they are not part of the pattern.
        if (chars[i] === '}' || chars[i] === '/') continue;
        out += '\\';
        const escaped = i < chars.length ? chars[i++] : undefined;
        if (escaped !== '*' && escaped !== '?' && escaped !== '\\') {
          throw new Error(`invalid escape '\\${escaped ?? '\ufffd'}'`);
        }
        tok = escaped;
        break;
      }
      case '[':
      case ']':
      case '{':
      case '}':
      case '.':
      case '+':
      case '(':
      case ')':
      case '|':
      case '^':
      case '$':
        out += '\\';
        break;
    }
    out += tok;
  }
  return new RegExp(out, 'u');
}

/** ${VAR#pattern} (greedy: ##): value without its shortest/longest matching prefix. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const re = shellPatternToRegExp(pattern, greedy, true);
  const m = re.exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

// Reverses a pattern while keeping each escape in front of the character it escapes.
function reversePattern(pattern: string): string {
  const runes = Array.from(pattern);
  const out: string[] = new Array<string>(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = runes[i];
    const o = last - i;
    if (tok === '\\' && i !== last) {
      out[o - 1] = tok;
      out[o] = runes[i + 1];
      i += 2;
    } else {
      out[o] = tok;
      i++;
    }
  }
  return out.join('');
}

function reverseString(s: string): string {
  return Array.from(s).reverse().join('');
}

/** ${VAR%pattern} (greedy: %%), found as a prefix match on the reversed strings. */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

// Go's Regexp.ReplaceAllString: "$0"/"${name}" in the template expand to groups (the
// pattern has none but the whole match), "$$" is "$"; an empty match right after a match is
// not replaced.
export function goReplaceAll(re: RegExp, src: string, template: string): string {
  const g = new RegExp(re.source, 'gu');
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    g.lastIndex = searchPos;
    const m = g.exec(src);
    if (!m) break;
    const a0 = m.index;
    const a1 = a0 + m[0].length;
    out += src.slice(lastMatchEnd, a0);
    if (a1 > lastMatchEnd || a0 === 0) out += expandTemplate(template, m[0]);
    lastMatchEnd = a1;
    const cp = src.codePointAt(searchPos);
    const width = cp === undefined ? 0 : cp > 0xffff ? 2 : 1;
    if (searchPos + width > a1) searchPos += width;
    else if (searchPos + 1 > a1) searchPos++;
    else searchPos = a1;
  }
  return out + src.slice(lastMatchEnd);
}

function expandTemplate(template: string, whole: string): string {
  let out = '';
  let t = template;
  for (;;) {
    const i = t.indexOf('$');
    if (i < 0) break;
    out += t.slice(0, i);
    t = t.slice(i + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ref = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(t);
    if (!ref) {
      out += '$';
      continue;
    }
    t = t.slice(ref[0].length);
    // Only group 0 (the whole match) exists; other numbers and names expand to nothing.
    if ((ref[1] ?? ref[2]) === '0') out += whole;
  }
  return out + t;
}
