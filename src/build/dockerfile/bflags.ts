// Instruction flags (`--from=x`, `--link`, `--mount=...`): declared per instruction, then
// checked against what the Dockerfile wrote, with BuildKit's error messages.

import { toLower } from './go-text.js';
import { withSuggestion } from './suggest.js';

export type FlagType = 'bool' | 'string' | 'strings';

export interface Flag {
  readonly name: string;
  readonly type: FlagType;
  /** For bool flags "true"/"false"; for string flags the value. */
  value: string;
  /** For repeatable (strings) flags, every value in order. */
  values: string[];
}

export class BFlags {
  private readonly flags = new Map<string, Flag>();
  private readonly used = new Map<string, Flag>();

  constructor(readonly args: readonly string[]) {}

  private add(name: string, type: FlagType, value: string): Flag {
    if (this.flags.has(name)) throw new Error(`error setting up flags: Duplicate flag defined: ${name}`);
    const flag: Flag = { name, type, value, values: [] };
    this.flags.set(name, flag);
    return flag;
  }

  addBool(name: string, def: boolean): Flag {
    return this.add(name, 'bool', def ? 'true' : 'false');
  }

  addString(name: string, def: string): Flag {
    return this.add(name, 'string', def);
  }

  addStrings(name: string): Flag {
    return this.add(name, 'strings', '');
  }

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  /** Names of the flags that were given. */
  usedNames(): string[] {
    return [...this.used.keys()];
  }

  /** Applies the written flags to the declared ones; throws on anything unknown or malformed. */
  parse(): void {
    for (const a of this.args) {
      // A bare `--` ends the flags (POSIX utility syntax).
      if (a === '--') return;
      if (!a.startsWith('--')) throw new Error(`arg should start with -- : ${a}`);
      const eq = a.indexOf('=');
      const hasValue = eq >= 0;
      const flagName = hasValue ? a.slice(0, eq) : a;
      const value = hasValue ? a.slice(eq + 1) : '';
      const name = flagName.slice(2);
      const flag = this.flags.get(name);
      if (!flag) throw new Error(withSuggestion(`unknown flag: ${flagName}`, name, [...this.flags.keys()], true));
      if (this.used.has(name) && flag.type !== 'strings') throw new Error(`duplicate flag specified: ${flagName}`);
      this.used.set(name, flag);
      switch (flag.type) {
        case 'bool':
          if (hasValue && value === '') throw new Error(`missing a value on flag: ${flagName}`);
          switch (toLower(value)) {
            case 'true':
            case '':
              flag.value = 'true';
              break;
            case 'false':
              flag.value = 'false';
              break;
            default:
              throw new Error(`expecting boolean value for flag ${flagName}, not: ${value}`);
          }
          break;
        case 'string':
          if (!hasValue) throw new Error(`missing a value on flag: ${flagName}`);
          flag.value = value;
          break;
        case 'strings':
          if (!hasValue) throw new Error(`missing a value on flag: ${flagName}`);
          flag.values.push(value);
          break;
      }
    }
  }
}
