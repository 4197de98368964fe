import type { CliContext } from '../context.js';
import { unpauseContainer } from '../../engine/containers.js';
import { freezeCommand } from './pause.js';

export default function unpause(argv: string[], ctx: CliContext, name = 'unpause'): Promise<number> {
  return freezeCommand(argv, ctx, name, 'Unpause all processes within one or more containers', unpauseContainer);
}
