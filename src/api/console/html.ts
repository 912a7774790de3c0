/** Tiny HTML helpers for the server-rendered console: every value is escaped once, here. */
export type Html = { readonly html: string };

export function raw(html: string): Html {
  return { html };
}

export function escape(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Tagged template: interpolated values are escaped unless they are Html (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return raw(out);
}

function render(v: unknown): string {
  if (Array.isArray(v)) return v.map(render).join('');
  if (v && typeof v === 'object' && 'html' in v) return (v as Html).html;
  return escape(v);
}

export function link(href: string, text: unknown, attrs = ''): Html {
  return raw(`<a href="${escape(href)}" ${attrs}>${escape(text)}</a>`);
}

export function table(id: string, headers: string[], rows: (Html | string | number | null | undefined)[][], empty = 'nothing yet'): Html {
  if (!rows.length) return html`<p class="empty" id="${id}">${empty}</p>`;
  return html`<table id="${id}"><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`,
  )}</tbody></table>`;
}
