/** The engine's side of the event log: Docker's image and container event attributes. */
import type { Store } from '../store/store.js';
import { recordEvent } from '../store/events.js';

function labelsOf(json: string | null | undefined): Record<string, string> {
  if (!json) return {};
  try {
    return JSON.parse(json) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * An image event as Docker's LogImageEvent writes it: the image's labels and `name`. `actor` is
 * the image ID, or the reference for pull and push.
 */
export function imageEvent(store: Store, action: string, actor: string, name = actor, extra: Record<string, string> = {}): void {
  const row = actor.startsWith('sha256:') ? store.meta.image(actor) : undefined;
  recordEvent(store.db, 'image', action, actor, { ...labelsOf(row?.labels), name, ...extra });
}

export { containerEvent } from '../runtime/container-store.js';
