/**
 * The one policy every graceful stop by signal follows, whoever does the stopping (a cluster in
 * the user's process, a cluster process under CONTROL, CONTROL itself): the first SIGTERM or
 * SIGINT starts the stop and arms a deadline; the stop finishing exits 0; a second signal exits
 * at once (128 + the signal's number, as a shell reports it); the deadline passing exits with
 * 124 (as `timeout(1)` does). Each of those is said in one line through `log`.
 */
import { constants } from 'node:os';

/** The signals a graceful stop answers by default: SIGTERM (`docker stop`, systemd, Kubernetes) and SIGINT (Ctrl-C). */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** How long a stop by signal may take before the process exits anyway, by default: 8 s, within `docker stop`'s 10 s. */
export const STOP_DEADLINE_MS = 8_000;

/** The exit code when a stop did not finish within its deadline. */
export const DEADLINE_EXIT_CODE = 124;

/** The exit code when the stop itself failed. */
export const FAILED_STOP_EXIT_CODE = 1;

/** What the handlers need of `process` (tests pass an EventEmitter with an `exit` of their own). */
export interface SignalProcess {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** Options of `handleStopSignals`. */
export interface SignalStopOptions {
  /** Does the stop; the process exits 0 once it resolved (1 if it rejected). */
  readonly stop: (signal: NodeJS.Signals) => Promise<unknown>;
  /** Default: `STOP_SIGNALS`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Default `STOP_DEADLINE_MS`; a function is read when the first signal comes. */
  readonly deadlineMs?: number | (() => number);
  /** Default: the real `process`. */
  readonly process?: SignalProcess;
  /** Where the lines about the stop go (default: standard error); `false` for none. */
  readonly log?: ((line: string) => void) | false;
  /** Names the stopping thing in every line (default `'discluster'`). */
  readonly name?: string;
  /** Whether the stop keeps the sessions, as the lines say (default true). */
  readonly keepsSessions?: boolean;
}

/** The exit code of a process ended by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 0);

const stderrLine = (line: string) => void process.stderr.write(`${line}\n`);

/**
 * Installs the handlers of `options.signals` and returns a function removing them. They do not
 * keep the process alive: with no signal, the process ends when its work does. Once a stop has
 * started, its deadline timer holds the process until the stop ends or the deadline passes.
 */
export const handleStopSignals = (options: SignalStopOptions): (() => void) => {
  const target = options.process ?? process;
  const signals = options.signals ?? STOP_SIGNALS;
  const log = options.log === false ? () => {} : (options.log ?? stderrLine);
  const name = options.name ?? 'discluster';
  let stopping = false;
  let ended = false;
  const end = (code: number) => {
    if (ended) return;
    ended = true;
    target.exit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${name}: ${signal} again during the stop: exiting at once${options.keepsSessions === false ? '' : ' (sessions not saved)'}`);
      return end(signalExitCode(signal));
    }
    stopping = true;
    const deadlineMs = typeof options.deadlineMs === 'function' ? options.deadlineMs() : (options.deadlineMs ?? STOP_DEADLINE_MS);
    const keeping = options.keepsSessions === false ? 'closing sessions' : 'keeping sessions';
    log(`${name}: ${signal}: stopping, ${keeping} (a second signal exits at once; exit by ${deadlineMs} ms at the latest)`);
    const deadline = setTimeout(() => {
      log(`${name}: the stop did not finish within its deadline of ${deadlineMs} ms: exiting anyway`);
      end(DEADLINE_EXIT_CODE);
    }, deadlineMs);
    options.stop(signal).then(
      () => {
        clearTimeout(deadline);
        end(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        const code = (error as { code?: unknown } | null)?.code;
        log(`${name}: the stop failed${typeof code === 'string' ? ` (${code})` : ''}: exiting`);
        end(FAILED_STOP_EXIT_CODE);
      },
    );
  };

  for (const signal of signals) target.on(signal, onSignal);
  return () => {
    for (const signal of signals) target.off(signal, onSignal);
  };
};
