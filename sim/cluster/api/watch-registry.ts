import type { ServerResponse } from 'node:http';

/** An open watch stream: its response, and how to stop feeding it. */
export interface OpenWatch {
  res: ServerResponse;
  stop: () => void;
}

/** The open watch streams of one server, for `close()` and `/sim/drop-watches`. */
export class WatchRegistry {
  private readonly open = new Set<OpenWatch>();

  /** Registers a stream; returns the function that unregisters it. */
  add(w: OpenWatch): () => void {
    this.open.add(w);
    return () => this.open.delete(w);
  }

  /** Number of open streams. */
  size(): number {
    return this.open.size;
  }

  /** Cuts every stream as a dropped connection would (socket destroyed, no final chunk); returns how many. */
  drop(): number {
    const n = this.open.size;
    for (const w of [...this.open]) {
      w.stop();
      w.res.socket?.destroy();
      w.res.destroy();
    }
    this.open.clear();
    return n;
  }

  /** Ends every stream cleanly (final chunk sent), as on server shutdown. */
  endAll(): void {
    for (const w of [...this.open]) {
      w.stop();
      w.res.end();
    }
    this.open.clear();
  }
}
