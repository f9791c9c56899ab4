/**
 * `npm run docs:api`: writes docs/api.md from the OpenAPI document, so the reference cannot drift
 * from the routes. A test checks that the committed file is current.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Op {
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
  'x-access'?: string;
}
type Doc = { info: { title: string; version: string }; paths: Record<string, Record<string, Op>> };

export function renderApiMarkdown(doc: Doc): string {
  const lines = [
    `# ${doc.info.title} reference`,
    '',
    'Generated from the OpenAPI document by `npm run docs:api`; do not edit by hand. The live',
    'document is at `/openapi.json` and an interactive reference at `/docs`.',
    '',
    'Errors are `application/problem+json` (RFC 9457): `{type, title, status, detail, code, requestId}`.',
    'Common codes: `validation_failed`, `malformed_json`, `body_too_large`, `unsupported_media_type`,',
    '`unauthenticated`, `invalid_credentials`, `invalid_api_key`, `forbidden`, `not_found`,',
    '`route_not_found`, `rate_limited`, `internal`.',
    '',
  ];
  const byTag = new Map<string, string[]>();
  for (const [url, methods] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags?.[0] ?? 'other';
      const params = (op.parameters ?? [])
        .map((p) => `${p.name} (${p.in}${p.required ? ', required' : ''})`)
        .join('; ');
      const codes = Object.keys(op.responses ?? {}).join(', ');
      const row = `| \`${method.toUpperCase()} ${url}\` | ${op.summary ?? ''} | ${op['x-access'] ?? ''} | ${params}${op.requestBody ? (params ? '; ' : '') + 'JSON body' : ''} | ${codes} |`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), row]);
    }
  }
  for (const [tag, rows] of [...byTag].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(
      `## ${tag}`,
      '',
      '| route | what | who | input | answers |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
    );
  }
  return lines.join('\n');
}

export async function generate(): Promise<string> {
  const { testApp } = await import('../test/helpers/app.ts');
  const { app, close } = await testApp();
  try {
    const doc = app.swagger() as unknown as Doc;
    return renderApiMarkdown(doc);
  } finally {
    await close();
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const md = await generate();
  const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/api.md');
  fs.writeFileSync(out, md);
  process.stdout.write(`wrote ${out}\n`);
}
