/**
 * `npm run soak [-- --seed N --dispatches N --fault-every N]`: the full fault soak, printed as a
 * table. A failing run prints its seed; the same seed replays the same faults.
 */
import { runSoak, soakPassed } from './soak.js';

const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};

const seed = arg('seed', Math.floor(Math.random() * 2 ** 31));
const report = await runSoak({ seed, dispatches: arg('dispatches', 200_000), faultEvery: arg('fault-every', 3_000) });

console.log(`\n## Fault soak (seed ${report.seed}, ${report.shards} shards, ${(report.durationMs / 1000).toFixed(1)} s)\n`);
console.log('| fault | injected |\n|---|---|');
for (const [name, count] of Object.entries(report.faults).sort()) console.log(`| ${name} | ${count} |`);
console.log('\n| check | result |\n|---|---|');
const rows: Array<[string, unknown]> = [
  ['dispatches sent by the emulator', report.sent],
  ['dispatches checked on dispatch$', report.checked],
  ['lost, in sessions reported by session-lost', report.lostReported],
  ['lost, in sessions whose READY never reached the client', report.lostUnannounced],
  ['lost silently', report.lostSilently],
  ['duplicated', report.duplicated],
  ['out of order', report.outOfOrder],
  ['sessions lost (each reported by a session-lost event)', report.sessionsLost],
  ['identifies / resumes', `${report.identifies} / ${report.resumes}`],
  ['emulator rule violations (4008, buckets, …)', report.violations.length === 0 ? 'none' : report.violations.join('; ')],
  ['token occurrences in events, statuses and records', report.tokenLeaks],
];
for (const [name, value] of rows) console.log(`| ${name} | ${String(value)} |`);
console.log(soakPassed(report) ? '\nPASS' : `\nFAIL — replay with: npm run soak -- --seed ${report.seed}`);
process.exitCode = soakPassed(report) ? 0 : 1;
