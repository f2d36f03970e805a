import logUpdate from 'log-update';
import pc from 'picocolors';
import type { ShardStatus } from '../shard/types.js';

/** What the demo shows of one shard. */
export interface ShardRow {
  readonly shardId: number;
  readonly label: string;
  status: ShardStatus | 'starting' | 'fatal';
  events: number;
  eventsPerSecond: number;
  latencyMs: number | null;
  resumes: number;
  identifies: number;
  /** Reconnects after a connection that ended before Hello (the gateway unreachable: nothing spent). */
  unreachable: number;
}

/** The live display: redrawn in place on a TTY, plain log lines otherwise. */
export interface View {
  /** A notable moment (status change, fault, fatal): one line. */
  note(line: string): void;
  /** The periodic picture of every shard. */
  render(rows: readonly ShardRow[], header: string): void;
  /** Stops redrawing; what is on screen stays. */
  done(): void;
}

const STATUS_COLOR: Record<string, (text: string) => string> = {
  ready: pc.green,
  resumed: pc.green,
  fatal: pc.red,
  closed: pc.dim,
  reconnecting: pc.yellow,
  resuming: pc.yellow,
};

/** A progress bar of how many shards are up. */
export const progressBar = (up: number, total: number, width = 24): string => {
  const filled = total === 0 ? 0 : Math.round((up / total) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${up}/${total} shards up`;
};

const formatRow = (row: ShardRow, color: boolean): string => {
  const status = row.status.padEnd(12);
  const painted = color ? (STATUS_COLOR[row.status] ?? ((s: string) => s))(status) : status;
  return `  ${row.label.padEnd(20)} ${painted} ${String(row.events).padStart(8)} ev ${String(row.eventsPerSecond).padStart(6)} ev/s ${
    row.latencyMs === null ? '     — ' : `${String(Math.round(row.latencyMs)).padStart(4)} ms`
  }  resumes ${row.resumes}  identifies ${row.identifies}${row.unreachable > 0 ? `  unreachable ${row.unreachable}` : ''}`;
};

const up = (rows: readonly ShardRow[]) => rows.filter((r) => r.status === 'ready' || r.status === 'resumed').length;

/** Picks the display for this output: live on a TTY, plain lines when piped. */
export const createView = (tty: boolean): View => {
  const notes: string[] = [];
  if (tty) {
    let last: { rows: readonly ShardRow[]; header: string } | null = null;
    const draw = () =>
      last &&
      logUpdate(
        [pc.bold(last.header), progressBar(up(last.rows), last.rows.length), ...last.rows.map((r) => formatRow(r, true)), '', ...notes.slice(-8)].join('\n'),
      );
    return {
      note: (line) => {
        notes.push(`${pc.dim(new Date().toISOString().slice(11, 19))} ${line}`);
        draw();
      },
      render: (rows, header) => {
        last = { rows, header };
        draw();
      },
      done: () => logUpdate.done(),
    };
  }
  let tick = 0;
  return {
    note: (line) => console.log(`${new Date().toISOString().slice(11, 23)} ${line}`),
    render: (rows, header) => {
      if (tick++ % 8 !== 0) return; // a plain line every 2 s is plenty in a log file
      const total = rows.reduce((sum, r) => sum + r.eventsPerSecond, 0);
      console.log(`${new Date().toISOString().slice(11, 23)} ${header} | ${progressBar(up(rows), rows.length)} | ${total} ev/s`);
    },
    done: () => {},
  };
};

/** The table printed at the end. */
export const summaryTable = (rows: readonly ShardRow[]): string =>
  [
    '  shard                status          events  ev/s   latency  resumes identifies (unreachable: reconnects after no Hello)',
    ...rows.map((r) => formatRow(r, false)),
  ].join('\n');
