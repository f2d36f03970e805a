/**
 * A clock of the time a process ran: wall time minus the stalls seen between its ticks. A reshard
 * measures its windows on it, so that a process starved for seconds (a busy machine, a long
 * collection) still reads what reached its sockets meanwhile before a window ends: after a stall,
 * Node runs expired timers before it reads sockets, and a wall-time window would end first.
 *
 * Its owner calls `tick()` every `periodMs`. A tick later than that means the event loop did not
 * run meanwhile; the lateness counts as stalled. Between ticks the clock advances at most
 * `periodMs` past the last one: until the next tick proves the loop turned, time beyond that may
 * be a stall still running. So it never runs ahead of the process, never goes back, and never
 * runs faster than the wall. Pure: the wall clock is given.
 */
export class RunningClock {
  private stalled = 0;
  private lastTick: number;
  private ticking = true;

  constructor(
    private readonly wall: () => number,
    private readonly periodMs: number,
  ) {
    this.lastTick = wall();
  }

  /** The owner's periodic tick: the lateness past `periodMs` since the last one is stalled time. */
  tick(): void {
    if (!this.ticking) return;
    const now = this.wall();
    this.stalled += Math.max(0, now - this.lastTick - this.periodMs);
    this.lastTick = now;
  }

  /** Ticks end (the owner's timer is cleared): from now on the clock follows the wall again. */
  stopTicking(): void {
    this.tick();
    this.ticking = false;
  }

  /** Running time: the wall clock minus the stalls, at most `periodMs` past the last tick. */
  now(): number {
    const wall = this.wall();
    return (this.ticking ? Math.min(wall, this.lastTick + this.periodMs) : wall) - this.stalled;
  }

  /** Every stall seen so far, in milliseconds. */
  get stalledMs(): number {
    return this.stalled;
  }
}
