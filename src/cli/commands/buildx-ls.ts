import type { CliContext } from '../context.js';
import { parseArgs } from '../args.js';
import { readBuilders } from './buildx-builders.js';
import { defaultPlatformString } from '../../image/platform.js';

export default async function buildxLs(argv: string[], ctx: CliContext): Promise<number> {
  parseArgs({ name: 'buildx ls', usage: 'berth buildx ls', description: 'List builder instances', args: { min: 0, max: 0 } }, argv);
  const s = readBuilders();
  const rows: string[][] = [['NAME/NODE', 'DRIVER/ENDPOINT', 'STATUS', 'BUILDKIT', 'PLATFORMS']];
  const all = [{ name: 'default', driver: 'berth', platforms: [] as string[] }, ...s.builders];
  for (const b of all) {
    rows.push([b.name + (b.name === s.current ? '*' : ''), b.driver, '', '', '']);
    rows.push([` \\_ ${b.name}0`, ` \\_ berth`, 'running', 'berth', (b.platforms.length ? b.platforms : [defaultPlatformString()]).join(', ')]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) ctx.out.line(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd());
  return 0;
}
