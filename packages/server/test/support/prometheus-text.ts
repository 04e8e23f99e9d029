/** One sample of the Prometheus text exposition format (0.0.4). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/;
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

/**
 * A strict parser of the text format, for tests: every line must be a comment, HELP, TYPE or a
 * sample of the family last declared (histograms: `_bucket`, `_sum`, `_count`), with escaped label
 * values and a float value; anything else throws, naming the line.
 */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const [index, line] of text.split('\n').entries()) {
    const fail = (why: string) => new Error(`line ${index + 1}: ${why}: ${line}`);
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw fail('bad metric name');
      current = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      families.set(name, current);
      if (kind === 'HELP') current.help = rest;
      else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) current.type = rest;
      else throw fail('unknown type');
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw fail('not a sample');
    const [, name, labelText = '', valueText] = match as unknown as [string, string, string | undefined, string];
    const family = current;
    if (!family || !(SUFFIXES[family.type] ?? ['']).some((suffix) => name === family.name + suffix))
      throw fail('sample outside its family');
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes `Nan`)
    const special = /^([+-]?)(inf|nan)$/i.exec(valueText);
    const value = special
      ? special[2]?.toLowerCase() === 'nan'
        ? Number.NaN
        : special[1] === '-'
          ? -Infinity
          : Infinity
      : Number(valueText);
    if (!special && (valueText === '' || Number.isNaN(value))) throw fail('bad value');
    const labels: Record<string, string> = {};
    let rest = labelText;
    while (rest !== '') {
      const label = LABEL.exec(rest);
      if (!label) throw fail('bad labels');
      labels[label[1] as string] = (label[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(label[0].length);
    }
    family.samples.push({ name, labels, value });
  }
  return families;
}
