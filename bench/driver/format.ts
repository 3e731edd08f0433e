/** Statistics and number formatting for the benchmark reports. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Geometric mean (NaN for an empty list). */
export function geomean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}

/** 1234567 → "1,234,567"; fractions to 3 significant digits. */
export function num(x: number | undefined | null, digits = 3): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 1000 || Number.isInteger(x)) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(digits);
}

/** Nanoseconds as a readable duration. */
export function dur(ns: number | undefined | null): string {
  if (ns === undefined || ns === null || !Number.isFinite(ns)) return '-';
  if (ns >= 1e9) return (ns / 1e9).toPrecision(3) + ' s';
  if (ns >= 1e6) return (ns / 1e6).toPrecision(3) + ' ms';
  if (ns >= 1e3) return (ns / 1e3).toPrecision(3) + ' µs';
  return ns.toPrecision(3) + ' ns';
}

/** A markdown table (first column left-aligned, the others right-aligned). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const out = ['| ' + head.join(' | ') + ' |', '|' + head.map((_, i) => (i ? ' ---: ' : ' --- ')).join('|') + '|'];
  for (const r of rows) out.push('| ' + r.join(' | ') + ' |');
  return out.join('\n') + '\n';
}

/** Bytes with thousands separators. */
export function bytes(n: number | undefined | null): string {
  return n === undefined || n === null ? '-' : `${Math.round(n).toLocaleString('en-US')} B`;
}
