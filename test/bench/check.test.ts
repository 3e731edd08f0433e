// Node-only (imports the driver, which uses node:fs): the regression gate of `make bench-check`
// (bench/driver/check.ts) on hand-made results, the statistics it relies on, and the chart writer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compare } from '../../bench/driver/check';
import { geomean, median } from '../../bench/driver/format';
import { barChart } from '../../bench/driver/chart';
import type { CaseResult, TargetResults } from '../../bench/driver/results';
import { RESULTS_SCHEMA } from '../../bench/driver/results';

function results(counts: Record<string, number | null>, over: Partial<TargetResults> = {}, failed: string[] = []): TargetResults {
  const cases: Record<string, CaseResult> = {};
  for (const [id, n] of Object.entries(counts)) {
    cases[id] = { group: 'g', units: { elements: 10 }, ok: !failed.includes(id), ...(n === null ? {} : { insns: { perOp: n, iters: 5, base: 1e6 } }) };
  }
  return {
    schema: RESULTS_SCHEMA, target: 'qjs-aarch64', runtime: 'qjs', arch: 'aarch64', date: '2025-01-01T00:00:00Z', git: 'abc', machine: 'm',
    engine: { path: 'e', sha256: 'a'.repeat(64), version: 'q' }, bundle: { path: 'b', sha256: 'b'.repeat(64) }, tools: {}, settings: {}, cases, ...over,
  };
}

describe('bench-check: instruction counts against the baseline', () => {
  const base = results({ a: 1_000_000, b: 2_000_000, c: 500_000 });

  test('within the tolerance passes; the verdict and delta are per case', () => {
    const out = compare(base, results({ a: 1_019_000, b: 2_000_000, c: 495_000 }), 2);
    assert.equal(out.ok, true);
    assert.deepEqual(out.rows.map((r) => r.verdict), ['ok', 'ok', 'ok']);
    assert.equal(out.rows[0]!.deltaPct!.toFixed(1), '1.9');
    assert.equal(out.engineChanged, false);
    assert.match(out.report, /PASS/);
  });

  test('more than the tolerance is a regression and fails', () => {
    const out = compare(base, results({ a: 1_021_000, b: 2_000_000, c: 500_000 }), 2);
    assert.equal(out.ok, false);
    assert.equal(out.rows.find((r) => r.id === 'a')!.verdict, 'regression');
    assert.match(out.report, /FAIL: a \(regression\)/);
  });

  test('a larger improvement passes and asks for a deliberate re-baseline', () => {
    const out = compare(base, results({ a: 900_000, b: 2_000_000, c: 500_000 }), 2);
    assert.equal(out.ok, true);
    assert.equal(out.rows[0]!.verdict, 'improved');
    assert.match(out.report, /make bench-baseline/);
  });

  test('a missing case, a failed self-check or a lost count fails; a new case does not', () => {
    assert.equal(compare(base, results({ a: 1_000_000, b: 2_000_000 }), 2).rows.find((r) => r.id === 'c')!.verdict, 'missing');
    const failed = compare(base, results({ a: 1_000_000, b: 2_000_000, c: 500_000 }, {}, ['b']), 2);
    assert.equal(failed.ok, false);
    assert.equal(failed.rows.find((r) => r.id === 'b')!.verdict, 'failed');
    assert.equal(compare(base, results({ a: 1_000_000, b: null, c: 500_000 }), 2).ok, false);
    const added = compare(base, results({ a: 1_000_000, b: 2_000_000, c: 500_000, d: 7 }), 2);
    assert.equal(added.ok, true);
    assert.equal(added.rows.find((r) => r.id === 'd')!.verdict, 'new');
  });

  test('a different engine binary is reported (counts then also move with the C build)', () => {
    const out = compare(base, results({ a: 1_000_000, b: 2_000_000, c: 500_000 }, { engine: { path: 'e', sha256: 'c'.repeat(64), version: 'q' } }), 2);
    assert.equal(out.ok, true);
    assert.equal(out.engineChanged, true);
    assert.match(out.report, /DIFFERENT engine binary/);
  });
});

describe('bench statistics and chart', () => {
  test('median and geometric mean', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.ok(Math.abs(geomean([1, 100]) - 10) < 1e-9);
  });

  test('the SVG chart has one bar per value, ours highlighted, labels escaped', () => {
    const svg = barChart('t <1>', 's & s', 'ns', [
      { title: 'XML', bars: [{ label: 'ours', value: 50, ours: true }, { label: 'expat', value: 100, note: '(2.0× ours)' }] },
      { title: 'WBXML', bars: [{ label: 'libwbxml <SAX>', value: 1000 }] },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<rect x=/g) ?? []).length, 3);
    assert.equal((svg.match(/class="bar ours"/g) ?? []).length, 1);
    assert.match(svg, /libwbxml &lt;SAX&gt;/);
    assert.match(svg, /t &lt;1&gt;/);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    // log scale: the 1000 bar is longer than the 100 bar, which is longer than the 50 bar
    const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.ok(widths[0]! < widths[1]! && widths[1]! < widths[2]!, String(widths));
  });
});
