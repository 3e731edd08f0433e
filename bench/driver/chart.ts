/**
 * A small SVG bar chart (no plotting library): horizontal bars on a log scale, grouped in panels,
 * one bar per series value, our codec highlighted. Used for "ours vs anchors" (ns per element).
 */

export interface ChartBar {
  label: string;
  value: number;
  /** Drawn in the highlight colour (our codec). */
  ours?: boolean;
  /** Extra text after the value (a ratio, a mark). */
  note?: string;
}

export interface ChartPanel {
  title: string;
  bars: ChartBar[];
  /** Dashed vertical reference lines (targets). */
  marks?: { value: number; label: string }[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders panels of bars; `unit` labels the values, the scale is log10 shared by all panels. */
export function barChart(title: string, subtitle: string, unit: string, panels: ChartPanel[]): string {
  const W = 900;
  const left = 230;
  const right = 150;
  const barH = 18;
  const gap = 6;
  const panelGap = 34;
  const top = 84;
  const vals = panels.flatMap((p) => [...p.bars.map((b) => b.value), ...(p.marks ?? []).map((m) => m.value)]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...vals))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...vals))));
  const span = Math.log10(hi) - Math.log10(lo);
  const x = (v: number): number => left + ((Math.log10(v) - Math.log10(lo)) / span) * (W - left - right);
  const parts: string[] = [];
  let y = top;
  for (const p of panels) {
    parts.push(`<text x="10" y="${y}" class="panel">${esc(p.title)}</text>`);
    y += 10;
    const y0 = y;
    for (const b of p.bars) {
      const w = Math.max(1, x(b.value) - left);
      parts.push(`<text x="${left - 8}" y="${y + barH - 5}" class="label${b.ours ? ' ours' : ''}" text-anchor="end">${esc(b.label)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" class="${b.ours ? 'bar ours' : 'bar'}"/>`);
      const txt = `${b.value >= 100 ? Math.round(b.value).toLocaleString('en-US') : b.value.toPrecision(3)}${b.note ? '  ' + b.note : ''}`;
      parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + barH - 5}" class="value">${esc(txt)}</text>`);
      y += barH + gap;
    }
    // decade grid lines
    for (let d = lo; d <= hi * 1.0001; d *= 10) {
      parts.push(`<line x1="${x(d).toFixed(1)}" y1="${y0 - 4}" x2="${x(d).toFixed(1)}" y2="${y - gap + 2}" class="grid"/>`);
      parts.push(`<text x="${x(d).toFixed(1)}" y="${y + 8}" class="tick" text-anchor="middle">${d >= 1 ? d.toLocaleString('en-US') : d}</text>`);
    }
    for (const m of p.marks ?? []) {
      const mx = x(m.value).toFixed(1);
      parts.push(`<line x1="${mx}" y1="${y0 - 6}" x2="${mx}" y2="${y - gap + 2}" class="mark"/>`);
      parts.push(`<text x="${mx}" y="${y + 20}" class="marklabel" text-anchor="middle">${esc(m.label)}</text>`);
    }
    y += panelGap + ((p.marks ?? []).length ? 12 : 0);
  }
  const H = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
    '<style>.title{font-size:17px;font-weight:bold}.sub{font-size:12px;fill:#555}.panel{font-size:14px;font-weight:bold}',
    '.label{font-size:12px}.label.ours{font-weight:bold}.value{font-size:11px;fill:#333}.tick{font-size:10px;fill:#777}',
    '.bar{fill:#9aa5b1}.bar.ours{fill:#d9480f}.grid{stroke:#ddd;stroke-width:1}',
    '.mark{stroke:#1971c2;stroke-width:1.5;stroke-dasharray:5,3}.marklabel{font-size:10px;fill:#1971c2}</style>',
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="24" class="title">${esc(title)}</text>`,
    `<text x="10" y="44" class="sub">${esc(subtitle)}</text>`,
    `<text x="10" y="62" class="sub">${esc(unit)}, log scale: shorter is faster</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
