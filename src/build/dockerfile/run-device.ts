// RUN --device=name[,required[=bool]] (CDI devices), parsed like BuildKit's ParseDevice.

import { csvFields } from './csv-fields.js';
import { parseBool } from './go-parse.js';
import { toLower } from './go-text.js';
import { withSuggestion } from './suggest.js';

export interface Device {
  /** CDI device name, e.g. vendor.com/class=name. */
  name: string;
  required: boolean;
}

export function parseDevice(value: string): Device {
  let fields: string[];
  try {
    fields = csvFields(value);
  } catch (err) {
    throw new Error(`failed to parse csv devices: ${(err as Error).message}`, { cause: err });
  }
  const d: Device = { name: '', required: false };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = toLower(eq < 0 ? field : field.slice(0, eq));
    const val = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0) {
      if (key === 'required') {
        d.required = true;
        continue;
      }
      if (d.name === '') {
        d.name = field;
        continue;
      }
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'name':
        if (d.name !== '') throw new Error(`device name already set to ${d.name}`);
        d.name = val;
        break;
      case 'required':
        try {
          d.required = parseBool(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      default:
        // A CDI name contains '=' itself (vendor.com/class=name).
        if (d.name === '') {
          d.name = field;
          continue;
        }
        throw new Error(withSuggestion(`unexpected key '${key}' in '${field}'`, key, ['name', 'required'], true));
    }
  }
  return d;
}
