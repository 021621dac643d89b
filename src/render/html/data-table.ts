/** Tables of figures: each number keeps its exact value in `data-value` beside the text people read. */
import { formatValue } from '../format.js';
import { esc } from './escape.js';

/** A cell: text as is, or a number shown in its unit (bytes, ms, %…) with the exact value kept. */
export type Cell = string | { value: number | undefined | null; unit?: string; text?: string } | { html: string };

function cellHtml(c: Cell, header: boolean): string {
  const tag = header ? 'th scope="row"' : 'td';
  const end = header ? 'th' : 'td';
  if (typeof c === 'string') return `<${tag}>${esc(c)}</${end}>`;
  if ('html' in c) return `<${tag}>${c.html}</${end}>`;
  if (c.value === undefined || c.value === null || !Number.isFinite(c.value)) return `<${tag} class="num">–</${end}>`;
  const text = c.text ?? formatValue(c.value, c.unit);
  return `<${tag} class="num" data-value="${esc(c.value)}"${c.unit ? ` data-unit="${esc(c.unit)}"` : ''}>${esc(text)}</${end}>`;
}

/** A table with a caption, column headers and rows whose first cell heads the row; scrolls on its own when wide. */
export function dataTable(caption: string, headers: string[], rows: Cell[][], cls = ''): string {
  const head = `<thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = `<tbody>${rows.map((r) => `<tr>${r.map((c, i) => cellHtml(c, i === 0)).join('')}</tr>`).join('')}</tbody>`;
  return `<div class="table-wrap"><table class="${esc(`figures ${cls}`.trim())}"><caption>${esc(caption)}</caption>${head}${body}</table></div>`;
}

/** Label/value pairs (facts about a host, an image). */
export function factList(pairs: [string, Cell][]): string {
  return `<dl class="facts">${pairs.map(([k, v]) => {
    const html = typeof v === 'string' ? esc(v) : 'html' in v ? v.html
      : v.value === undefined || v.value === null ? '–'
        : `<span class="num" data-value="${esc(v.value)}"${v.unit ? ` data-unit="${esc(v.unit)}"` : ''}>${esc(v.text ?? formatValue(v.value, v.unit))}</span>`;
    return `<div><dt>${esc(k)}</dt><dd>${html}</dd></div>`;
  }).join('')}</dl>`;
}
