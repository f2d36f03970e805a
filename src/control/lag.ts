import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Measures event-loop delay while started; `read()` gives the mean since the last read, in ms. */
export interface LagMonitor {
  read(): number;
  stop(): void;
}

/** Starts an event-loop delay histogram (10 ms resolution) that keeps nothing alive on its own. */
export const startLagMonitor = (): LagMonitor => {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    read() {
      const mean = histogram.mean / 1e6;
      histogram.reset();
      return Number.isFinite(mean) ? Math.round(mean * 100) / 100 : 0;
    },
    stop: () => histogram.disable(),
  };
};
