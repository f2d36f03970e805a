/**
 * An outage on demand: while a refusal runs, the emulator refuses every new WebSocket connection
 * before Hello, as Discord's edge does when it fails the upgrade during an incident. The TCP
 * connection is accepted, then closed without an answer (`close`, the default) or answered with
 * `503 Service Unavailable` (`http-503`); either way the client sees its socket close (1006)
 * before any Hello. Open connections are left alone.
 */
import type { Socket } from 'node:net';

/** How a refused connection ends: the TCP socket closed with no answer, or an HTTP 503 to the upgrade. */
export type RefusalMode = 'close' | 'http-503';

/** A running refusal: every new connection is refused until `end()`. */
export interface ConnectionRefusal {
  readonly mode: RefusalMode;
  /** Connections refused by this refusal so far. */
  readonly refused: number;
  /** False once `end()` was called. */
  readonly active: boolean;
  /** Lets new connections through again (idempotent). */
  end(): void;
}

interface Running {
  readonly mode: RefusalMode;
  refused: number;
  active: boolean;
}

/** The emulator's refusals: at most one runs at a time (a new one replaces the running one). */
export class ConnectionRefusals {
  private running: Running | null = null;
  /** Every connection refused since the emulator started. */
  total = 0;

  /** Starts refusing every new connection with `mode`. */
  start(mode: RefusalMode = 'close'): ConnectionRefusal {
    if (mode !== 'close' && mode !== 'http-503') throw new Error(`emulator refuseConnections: unknown mode ${String(mode)}`);
    if (this.running) this.running.active = false;
    const run: Running = { mode, refused: 0, active: true };
    this.running = run;
    return {
      mode,
      get refused() {
        return run.refused;
      },
      get active() {
        return run.active;
      },
      end: () => {
        run.active = false;
        if (this.running === run) this.running = null;
      },
    };
  }

  /** Refuses this upgrade if a refusal runs (the socket is then ended here); false lets it through. */
  refuse(socket: Socket): boolean {
    const run = this.running;
    if (run === null || !run.active) return false;
    run.refused++;
    this.total++;
    if (run.mode === 'http-503') socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
    return true;
  }

  /** Ends the running refusal (the emulator closes). */
  clear(): void {
    if (this.running) this.running.active = false;
    this.running = null;
  }
}
