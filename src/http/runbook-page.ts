// GET /runbook on the metrics listener: the runbook section of the installed
// docs/OPERATIONS.md as one plain HTML page, each alert under an anchor that is its name in
// lower case (as on GitHub), so the status page and a person on the host always have it at hand
// without network access. Shown as preformatted text, escaped: no Markdown renderer shipped.
import { readFile } from 'node:fs/promises';
import { escapeHtml } from './status-page.js';

export const OPERATIONS_MD = new URL('../../docs/OPERATIONS.md', import.meta.url);

/** GitHub's heading slug, for the headings the runbook uses (words, digits, spaces, dashes). */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
}

export function renderRunbook(markdown: string): string {
  const start = markdown.search(/^## Runbook$/m);
  const text = start === -1 ? markdown : markdown.slice(start);
  const parts: string[] = [];
  let body: string[] = [];
  const flush = (): void => {
    if (body.join('').trim() !== '') parts.push(`<pre>${escapeHtml(body.join('\n').trim())}</pre>`);
    body = [];
  };
  for (const line of text.split('\n')) {
    const h = /^(#{2,4}) (.+)$/.exec(line);
    if (!h) {
      body.push(line);
      continue;
    }
    flush();
    const level = (h[1] as string).length;
    const title = h[2] as string;
    parts.push(`<h${level} id="${escapeHtml(slug(title))}">${escapeHtml(title)}</h${level}>`);
  }
  flush();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>oio-repaird runbook</title><link rel="icon" href="data:,">
<style>body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:60em;padding:0 1em}pre{white-space:pre-wrap;font:14px/1.4 ui-monospace,monospace}</style>
</head><body><p><a href="/">status</a> · from docs/OPERATIONS.md</p>
${parts.join('\n')}
</body></html>
`;
}

export async function runbookPage(): Promise<string> {
  return renderRunbook(await readFile(OPERATIONS_MD, 'utf8'));
}
