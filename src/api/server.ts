import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { Registry, collectDefaultMetrics, Counter, Histogram } from 'prom-client';
import { authorise, type RouteAccess } from './access.ts';
import { errorHandler, sendProblem } from './problem.ts';
import type { Api, RouteModule, Services } from './types.ts';
import { ping } from '../core/db/index.ts';
import { AppError } from '../core/errors.ts';
import { principalFromApiKey, principalFromSession } from '../identity/service.ts';

export const SESSION_COOKIE = 'interdict_session';
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);

export interface ServerOptions {
  /** Route modules of the capabilities, registered under their own prefix-free paths. */
  routes: RouteModule[];
  /** Folder of the built console (index.html); omitted or missing means no console. */
  consoleDir?: string;
  version?: string;
}

export function defaultConsoleDir(): string {
  // dist/server/api/server.js or src/api/server.ts → <repo>/dist/console
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../console'), path.resolve(here, '../../dist/console')];
  return candidates.find((c) => fs.existsSync(path.join(c, 'index.html'))) ?? candidates[1]!;
}

export async function buildServer(services: Services, opts: ServerOptions): Promise<Api> {
  const { config } = services;
  const app = Fastify({
    loggerInstance: services.log,
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : crypto.randomUUID();
    },
    // Finish requests in flight on close; drop idle keep-alive sockets so shutdown is prompt.
    forceCloseConnections: 'idle',
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>() as unknown as Api;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.decorateRequest('principal', null);

  let shuttingDown = false;
  app.addHook('onClose', async () => {
    shuttingDown = true;
  });
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  // --- metrics -----------------------------------------------------------------------------
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'interdict_' });
  const requests = new Counter({
    name: 'interdict_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'interdict_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    durations.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  app.decorate('metricsRegistry', registry);

  // --- authentication and authorisation -------------------------------------------------------
  // Registered before the rate limiter so its own onRoute hook sees the limits set here.
  // No route may exist without an access rule; public routes get the per-client rate limit.
  app.addHook('onRoute', (route) => {
    const url = route.url;
    if (OPEN_PATHS.has(url) || url.startsWith('/docs') || !url.startsWith('/v1')) return;
    const access = route.config?.access;
    if (!access) throw new Error(`route ${route.method} ${url} declares no access rule`);
    // The OpenAPI document states who may call each route.
    route.schema = {
      ...route.schema,
      security:
        'public' in access ? [] : access.scope ? [{ session: [] }, { apiKey: [] }] : [{ session: [] }],
      'x-access': describeAccess(access),
    } as typeof route.schema;
    if ('public' in access) {
      route.config = {
        ...route.config,
        rateLimit: { max: access.rateLimitPerMinute ?? config.publicRateLimitPerMinute, timeWindow: 60_000 },
      } as typeof route.config;
    }
  });

  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => {
      const e = new Error(`rate limit of ${ctx.max} per ${ctx.after} exceeded`) as Error & {
        statusCode: number;
      };
      e.statusCode = 429;
      return e;
    },
  });

  const cache = services.principals;
  app.addHook('onRequest', async (req) => {
    const auth = req.headers.authorization;
    if (auth) {
      let principal = cache.get(auth);
      if (principal === undefined) {
        const m = /^Bearer\s+(\S+)$/i.exec(auth);
        principal = m ? await principalFromApiKey(services.db, m[1]!) : null;
        // Unknown keys are not cached: a flood of random keys must not evict the good ones.
        if (principal) cache.set(auth, principal);
      }
      if (!principal) {
        // A wrong key is an error even on public routes: the caller meant to authenticate.
        throw new AppError(401, 'invalid_api_key', 'the API key is invalid or revoked');
      }
      req.principal = principal;
      return;
    }
    const token = req.cookies[SESSION_COOKIE];
    if (token) {
      const key = `session:${token}`;
      let principal = cache.get(key);
      if (principal === undefined) {
        principal = await principalFromSession(services.db, token);
        if (principal) cache.set(key, principal);
      }
      req.principal = principal;
    }
  });

  app.addHook('preHandler', async (req) => {
    const access = req.routeOptions.config?.access;
    if (access) authorise(access, req.principal);
  });

  // --- OpenAPI ---------------------------------------------------------------------------------
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Interdict API',
        version: opts.version ?? '0.1.0',
        description:
          'Open platform against telecom and network fraud. Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'Institution API key: `Authorization: Bearer idk_…`',
          },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // --- health, readiness, metrics, OpenAPI ------------------------------------------------------
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (req, reply) => {
    if (shuttingDown) return sendProblem(reply, req, 503, 'shutting_down', 'the server is shutting down');
    try {
      await ping(services.db);
    } catch {
      return sendProblem(reply, req, 503, 'database_unavailable', 'the database does not answer');
    }
    return { status: 'ready', database: services.database.kind, bus: services.bus.kind };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // --- capabilities ------------------------------------------------------------------------------
  for (const register of opts.routes) await register(app, services);

  // --- console -----------------------------------------------------------------------------------
  const consoleDir = opts.consoleDir;
  const hasConsole = consoleDir ? fs.existsSync(path.join(consoleDir, 'index.html')) : false;
  if (hasConsole) {
    await app.register(fastifyStatic, { root: consoleDir!, wildcard: false, index: false });
  }
  app.setNotFoundHandler((req, reply) => {
    const isApi = req.url.startsWith('/v1') || req.url.startsWith('/docs');
    if (!isApi && hasConsole && (req.method === 'GET' || req.method === 'HEAD')) {
      // The console routes in the browser: every other GET gets its index page.
      return reply.type('text/html').sendFile('index.html');
    }
    return sendProblem(reply, req, 404, 'route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
  });

  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}

/** "analyst, supervisor of anti_fraud_centre; API key with decisions:write": for the OpenAPI document. */
export function describeAccess(access: RouteAccess): string {
  if ('public' in access) return 'public (rate-limited per client)';
  let text = `roles: ${access.roles.join(', ')}`;
  if (access.orgKinds) text += ` of ${access.orgKinds.join(', ')}`;
  if (access.scope) text += `; API key with scope ${access.scope}`;
  return text;
}
