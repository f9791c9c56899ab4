/**
 * `npm run docs:events`: rewrites the catalogue table in docs/events.md from the registered
 * events (every module that registers events is imported here).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventCatalogueMarkdown } from '../src/core/bus/index.ts';
// The platform's route modules import every capability, and so register every event.
import '../src/platform.ts';

export function renderEventDocs(current: string): string {
  const start = current.search(/^\| Type\s+\| Key/m);
  if (start === -1) throw new Error('docs/events.md has no catalogue table');
  let end = current.indexOf('\n\n', start);
  if (end === -1) end = current.length;
  return current.slice(0, start) + eventCatalogueMarkdown() + current.slice(end);
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/events.md');
  fs.writeFileSync(file, renderEventDocs(fs.readFileSync(file, 'utf8')));
  process.stdout.write(`wrote ${file}\n`);
}
