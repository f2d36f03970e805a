/**
 * The earliest a frame read now can have reached the emulator, for its send limit.
 *
 * The emulator stamps what it reads with the time it reads it. When its own event loop stalls
 * (it wrote a storm, or the machine is busy), frames a client spaced correctly wait unread in the
 * socket and are read together after the stall: stamped that late, the frames sent before the
 * stall look closer to the ones after it than they were, and a client that kept to the limit
 * would get a 4008 for the emulator's own delay. Discord's gateway reads its sockets on its own
 * machines; a client's frames are not bunched by the client's loop.
 *
 * What bounds a frame's arrival: a loop that waits for I/O wakes as soon as a socket it watches is
 * readable, so whatever is read now arrived after the loop last waited. The runtime counts the
 * time its loop spent waiting (`performance.eventLoopUtilization().idle`); from two samples, the
 * last wait ended at most the busy time between them ago. So the send limit counts each frame from
 * that bound (the earliest it can have come) against the newest frame's read time (the latest it
 * can have come): a verdict the emulator's stalls cannot turn against a client. Without a stall
 * the bound is within a few ms of the read.
 */

/** One sample of the loop: when, and how long it had spent waiting for I/O in all (ms). */
export interface LoopSample {
  readonly at: number;
  readonly idleMs: number;
}

/** What `lastWaitStep` keeps between samples. */
export interface LoopWaitState {
  readonly sample: LoopSample;
  /** The last wait for I/O ended no earlier than this. */
  readonly lastWaitEnd: number;
}

/**
 * The bound after one more sample: when the loop waited since the previous sample, its last wait
 * ended at most the busy time between the two ago; when it did not, the bound stays.
 */
export const lastWaitStep = (state: LoopWaitState, next: LoopSample): LoopWaitState => {
  const waited = next.idleMs - state.sample.idleMs;
  if (!(waited > 0)) return { sample: next, lastWaitEnd: state.lastWaitEnd };
  const busy = Math.max(0, next.at - state.sample.at - waited);
  return { sample: next, lastWaitEnd: Math.max(state.lastWaitEnd, next.at - busy) };
};

/** This process's (or worker's) loop, sampled through `performance`. */
const sampleLoop = (): LoopSample => ({ at: performance.now(), idleMs: performance.eventLoopUtilization().idle });

/** Tracks the emulator's own loop: `earliestArrival()` bounds when a frame read now came. */
export class LoopWait {
  private state: LoopWaitState;

  constructor(private readonly sample: () => LoopSample = sampleLoop) {
    const first = sample();
    this.state = { sample: first, lastWaitEnd: first.at };
  }

  /** The earliest a frame read now can have arrived (see the module's comment). */
  earliestArrival(): number {
    this.state = lastWaitStep(this.state, this.sample());
    return this.state.lastWaitEnd;
  }
}
