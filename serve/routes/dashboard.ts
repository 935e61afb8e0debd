/**
 * The dashboard: static files (serve/dashboard/, copied beside the compiled server by the build)
 * and Chart.js's browser build from node_modules, read once and served from memory. No CDN, no
 * build step; the page reads the /v1 JSON.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../http-errors.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DASHBOARD_DIR = path.join(here, '..', 'dashboard');

interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

function chartJsFile(): string {
  // The package's exports name its module builds only; the browser (UMD) build sits beside them.
  const main = createRequire(import.meta.url).resolve('chart.js');
  return path.join(path.dirname(main), 'chart.umd.min.js');
}

function load(file: string): Asset {
  return { body: readFileSync(file), type: TYPES[path.extname(file)] ?? 'application/octet-stream' };
}

export function dashboardRoutes() {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const assets = new Map<string, Asset>([
      ['index.html', load(path.join(DASHBOARD_DIR, 'index.html'))],
      ['app.js', load(path.join(DASHBOARD_DIR, 'app.js'))],
      ['charts.js', load(path.join(DASHBOARD_DIR, 'charts.js'))],
      ['format.js', load(path.join(DASHBOARD_DIR, 'format.js'))],
      ['style.css', load(path.join(DASHBOARD_DIR, 'style.css'))],
      ['favicon.svg', load(path.join(DASHBOARD_DIR, 'favicon.svg'))],
      ['vendor/chart.umd.min.js', load(chartJsFile())],
    ]);
    const send = (reply: FastifyReply, name: string) => {
      const asset = assets.get(name);
      if (!asset) throw new HttpError(404, `no dashboard file ${JSON.stringify(name.slice(0, 100))}`);
      return reply
        .header('content-type', asset.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', CSP)
        .send(asset.body);
    };
    app.get('/', async (_request, reply) => send(reply, 'index.html'));
    app.get('/favicon.ico', async (_request, reply) => send(reply, 'favicon.svg'));
    app.get<{ Params: { '*': string } }>('/dashboard/*', async (request, reply) => send(reply, request.params['*']));
  };
}
