import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/**
 * The Debian chromium package, driven by playwright-core. No browser is ever downloaded:
 * without /usr/bin/chromium the browser tests skip (apt-get install chromium).
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_MISSING = `chromium not installed at ${CHROMIUM_PATH}: apt-get install chromium`;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CONSOLE_INDEX = path.join(REPO_ROOT, 'dist/console/index.html');
export const CONSOLE_MISSING = `the console is not built (${path.relative(REPO_ROOT, CONSOLE_INDEX)} missing): npm run build:console`;

export function browserAvailable(): boolean {
  return fs.existsSync(CHROMIUM_PATH);
}

export function consoleBuilt(): boolean {
  return fs.existsSync(CONSOLE_INDEX);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
