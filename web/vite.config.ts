import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run build:console` (run from the repository root) → <repo>/dist/console, which the API
// server serves at `/`. `npx vite --config web/vite.config.ts` serves the console in development
// and sends API calls to a server on :8080 (`npm run dev`).
const webDir = path.dirname(fileURLToPath(import.meta.url));
const api = 'http://127.0.0.1:8080';

export default defineConfig({
  root: webDir,
  base: '/',
  plugins: [react()],
  build: {
    outDir: path.resolve(webDir, '../dist/console'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      '/v1': api,
      '/openapi.json': api,
      '/docs': api,
    },
  },
});
