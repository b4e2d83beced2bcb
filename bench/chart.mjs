// An SVG bar chart of µs per operation, one panel per file system, log scale; plain string
// building, no browser. Missing bars (n/a) are labelled, not drawn.

const COLORS = {
  iodict: '#d9480f', floor: '#495057', 'node-persist': '#74c0fc', 'keyv-file': '#4dabf7',
  cacache: '#1c7ed6', lmdb: '#37b24d', sqlite: '#7048e8', diskcache: '#f08c00', 'persist-queue': '#e8590c',
};
const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const number = (us) => (us >= 1e6 ? `${+(us / 1e6).toPrecision(3)} s` : us >= 1000 ? `${+(us / 1000).toPrecision(3)} ms` : `${+us.toPrecision(3)} µs`);

/**
 * panels: [{ title, groups: [{ label, values: { contender: µs | null } }] }], contenders: [{ name, label }].
 * Returns the SVG text.
 */
export function barChart({ title, subtitle, panels, contenders }) {
  const width = 960;
  const labelWidth = 230;
  const plot = width - labelWidth - 90;
  const bar = 9;
  const gap = 10;
  const shown = Object.keys(COLORS).map((name) => contenders.find((c) => c.name === name)).filter(Boolean);
  const all = panels.flatMap((p) => p.groups.flatMap((g) => Object.values(g.values))).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const x = (us) => labelWidth + (plot * (Math.log10(us) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const out = [];
  let y = 58;
  out.push(`<text x="16" y="26" font-size="17" font-weight="bold">${escape(title)}</text>`);
  out.push(`<text x="16" y="45" font-size="12" fill="#495057">${escape(subtitle)}</text>`);
  // Legend.
  let lx = 16;
  y += 6;
  for (const c of shown) {
    out.push(`<rect x="${lx}" y="${y - 9}" width="10" height="10" fill="${COLORS[c.name]}"/><text x="${lx + 14}" y="${y}" font-size="12">${escape(c.label)}</text>`);
    lx += 24 + c.label.length * 7;
  }
  y += 16;
  for (const panel of panels) {
    y += 18;
    out.push(`<text x="16" y="${y}" font-size="14" font-weight="bold">${escape(panel.title)}</text>`);
    y += 10;
    const top = y;
    for (const group of panel.groups) {
      const rows = shown.filter((c) => c.name in group.values);
      const height = rows.length * (bar + 2);
      out.push(`<text x="${labelWidth - 8}" y="${y + height / 2 + 4}" font-size="12" text-anchor="end">${escape(group.label)}</text>`);
      for (const c of rows) {
        const us = group.values[c.name];
        if (us > 0) {
          out.push(`<rect x="${labelWidth}" y="${y}" width="${Math.max(1, x(us) - labelWidth).toFixed(1)}" height="${bar}" fill="${COLORS[c.name]}"><title>${escape(`${c.label}: ${number(us)}`)}</title></rect>`);
          out.push(`<text x="${(x(us) + 4).toFixed(1)}" y="${y + bar - 1}" font-size="9" fill="#343a40">${escape(number(us))}</text>`);
        } else {
          out.push(`<text x="${labelWidth + 4}" y="${y + bar - 1}" font-size="9" fill="#868e96">${escape(`${c.label}: n/a`)}</text>`);
        }
        y += bar + 2;
      }
      y += gap;
    }
    // Log-scale grid: one line per decade.
    for (let d = lo; d <= hi; d *= 10) {
      out.push(`<line x1="${x(d).toFixed(1)}" y1="${top - 4}" x2="${x(d).toFixed(1)}" y2="${y - gap + 2}" stroke="#dee2e6" stroke-width="1"/>`);
      out.push(`<text x="${x(d).toFixed(1)}" y="${y + 6}" font-size="10" text-anchor="middle" fill="#868e96">${escape(number(d))}</text>`);
    }
    y += 14;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    // Grid lines first so the bars sit on top of them.
    ...out.filter((e) => e.startsWith('<line')),
    ...out.filter((e) => !e.startsWith('<line')),
    '</svg>',
    '',
  ].join('\n');
}
