import type { Registry } from 'prom-client';

/** One sample line of a Prometheus text scrape. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text exposition format (the lines a Prometheus server would read). */
export const parseScrape = (text: string): Sample[] =>
  text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = LINE.exec(line);
      if (match === null) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map((m) => [m[1]!, m[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });

/** Scrapes the registry as Prometheus would and returns the text and its samples. */
export const scrape = async (registry: Registry): Promise<{ text: string; samples: Sample[] }> => {
  const text = await registry.metrics();
  return { text, samples: parseScrape(text) };
};

/** The samples of one metric whose labels include `labels`. */
export const pick = (samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

/** The sum of the values of `pick(...)`. */
export const sum = (samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number =>
  pick(samples, name, labels).reduce((total, s) => total + s.value, 0);
