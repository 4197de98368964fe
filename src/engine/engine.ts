import { Store } from '../store/store.js';
import { defaultRoot } from '../store/paths.js';

export interface EngineOptions {
  /** Store root; defaults to $BERTH_ROOT, /var/lib/berth as root, else $XDG_DATA_HOME/berth. */
  root?: string;
}

/**
 * The engine: the operations users name, over one store. The store is opened on first use, so a
 * command that needs no store costs nothing.
 */
export class EngineCore {
  readonly root: string;
  private _store: Store | undefined;

  constructor(opts: EngineOptions = {}) {
    this.root = opts.root ?? defaultRoot();
  }

  get store(): Store {
    this._store ??= Store.open(this.root);
    return this._store;
  }

  get storeOpened(): boolean {
    return this._store !== undefined;
  }

  /**
   * Closes the store. Every command ends here, so this is where leftovers of processes that died
   * mid-work are reclaimed opportunistically (cheap when there are none).
   */
  close(): void {
    if (this._store) {
      try {
        this._store.gc.opportunistic();
      } catch {
        // Busy or read-only: the next command or `system gc` will do it.
      }
      this._store.close();
    }
    this._store = undefined;
  }
}
