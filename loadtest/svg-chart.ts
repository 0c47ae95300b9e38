/** A small inline SVG line chart (no scripts, no external files). */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number | undefined]>;
  dashed?: boolean;
}

const W = 640;
const H = 200;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(x: number): number {
  if (x <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 2.5, 5, 10].map((m) => m * step).find((v) => v >= x) ?? 10 * step;
}

const fmt = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(2).replace(/\.?0+$/, ''));

export function lineChart(title: string, unit: string, series: Series[]): string {
  const xs = series.flatMap((s) => s.points.map(([t]) => t));
  const ys = series.flatMap((s) => s.points.map(([, v]) => v ?? 0));
  const xMax = Math.max(1, ...xs);
  const yMax = niceMax(Math.max(0, ...ys));
  const x = (t: number) => PAD.left + (t / xMax) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = yMax * f;
    return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>`
      + `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`;
  }).join('');
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${x(xMax * f)}" y="${H - 8}" text-anchor="middle">${Math.round(xMax * f)}s</text>`).join('');
  const lines = series.map((s) => {
    const segments: string[] = [];
    let current: string[] = [];
    for (const [t, v] of s.points) {
      if (v === undefined) { if (current.length) segments.push(current.join(' ')); current = []; continue; }
      current.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    }
    if (current.length) segments.push(current.join(' '));
    return segments.map((pts) => `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts}"/>`).join('');
  }).join('');
  const legend = series.map((s) => `<span><i style="background:${s.color}"></i>${escapeHtml(s.name)}</span>`).join('');
  return `<figure><figcaption>${escapeHtml(title)} <small>(${escapeHtml(unit)})</small></figcaption>`
    + `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">${grid}${xTicks}${lines}</svg>`
    + `<div class="legend">${legend}</div></figure>`;
}
