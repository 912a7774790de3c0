/**
 * The daily-volume chart as inline SVG, drawn on the server: no script, no chart
 * library, nothing fetched by the browser. One stacked bar per day, one colour per
 * transaction type, one chart per currency (amounts of different currencies never add).
 */
import { formatAmount, isCurrency } from '../../domain/money';
import type { TransactionType } from '../../domain/postings';
import type { VolumeRow } from '../../db/queries/console';
import { escape, raw, type Html } from './html';

/** One colour per transaction type: the compiler asks for a colour when a type is added. */
const COLORS: Record<TransactionType, string> = {
  topup: '#2e7d32',
  card_topup: '#66bb6a',
  card_clearing: '#a5d6a7',
  payment: '#1565c0',
  transfer: '#00838f',
  refund: '#ef6c00',
  hold: '#6d4c41',
  release: '#9e9d24',
  settle: '#c62828',
  deposit: '#455a64',
};

function lastDays(days: number, today = new Date()): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) out.push(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i)).toISOString().slice(0, 10));
  return out;
}

export function volumeCharts(rows: VolumeRow[], days: number): Html {
  const currencies = [...new Set(rows.map((r) => r.currency))].sort();
  if (!currencies.length) return raw('<p class="empty" id="volume-empty">no ledger transactions in the last ' + days + ' days</p>');
  return raw(currencies.map((c) => volumeChart(rows.filter((r) => r.currency === c), c, days)).join(''));
}

/** 34012018.50 → "34,012,018.50": the axis and the tooltips are read by people. */
export function withThousands(amount: string): string {
  const [whole, fraction] = amount.split('.');
  const sign = whole!.startsWith('-') ? '-' : '';
  const digits = sign ? whole!.slice(1) : whole!;
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (fraction !== undefined ? `.${fraction}` : '');
}

/**
 * Room for a label of n characters at font-size 10: 6.5 px a character is more than a
 * digit takes in any sans-serif face (about 5.6), so the label never reaches the edge.
 */
const labelWidth = (text: string) => Math.ceil(text.length * 6.5);

function volumeChart(rows: VolumeRow[], currency: string, days: number): string {
  const dayList = lastDays(days);
  const totals = dayList.map((d) => rows.filter((r) => r.day === d).reduce((s, r) => s + BigInt(r.amount), 0n));
  const max = totals.reduce((m, t) => (t > m ? t : m), 0n) || 1n;
  const fmt = (v: bigint) => withThousands(isCurrency(currency) ? formatAmount(v, currency) : v.toString());
  const maxLabel = fmt(max);
  // The plot starts right of the widest axis label (at least 70 px), so it is never clipped.
  const width = 720, height = 220, bottom = 30, top = 20;
  const left = Math.max(70, labelWidth(maxLabel) + 12);
  const slot = (width - left - 10) / dayList.length;
  const scale = (v: bigint) => Number((v * BigInt(height - top - bottom) * 1000n) / max) / 1000;
  const parts: string[] = [];
  dayList.forEach((day, i) => {
    let y = height - bottom;
    for (const r of rows.filter((x) => x.day === day)) {
      const h = scale(BigInt(r.amount));
      y -= h;
      parts.push(
        `<rect class="bar" data-day="${day}" data-type="${escape(r.type)}" x="${(left + i * slot + 2).toFixed(1)}" y="${y.toFixed(1)}" width="${(slot - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[r.type as TransactionType] ?? '#757575'}"><title>${day} ${escape(r.type)}: ${fmt(BigInt(r.amount))} ${escape(currency)} (${r.count})</title></rect>`,
      );
    }
    if (i % Math.ceil(dayList.length / 7) === 0) {
      parts.push(`<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${height - 10}" font-size="10" text-anchor="middle">${day.slice(5)}</text>`);
    }
  });
  const types = [...new Set(rows.map((r) => r.type))];
  const legend = types
    .map((t, i) => `<rect x="${left + i * 110}" y="4" width="10" height="10" fill="${COLORS[t as TransactionType] ?? '#757575'}"/><text x="${left + i * 110 + 14}" y="13" font-size="11">${escape(t)}</text>`)
    .join('');
  return `<figure><figcaption>Daily volume, ${escape(currency)}, last ${days} days (UTC)</figcaption>
<svg class="volume-chart" data-currency="${escape(currency)}" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<line x1="${left}" y1="${height - bottom}" x2="${width - 10}" y2="${height - bottom}" stroke="#999"/>
<text class="axis-max" x="${left - 6}" y="${top + 4}" font-size="10" text-anchor="end">${maxLabel}</text>
<text x="${left - 6}" y="${height - bottom}" font-size="10" text-anchor="end">0</text>
${legend}${parts.join('')}</svg></figure>`;
}
