import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { Config } from '../core/config.ts';
import type { Database } from '../core/db/index.ts';
import type { DB } from '../core/db/schema.ts';
import type { EventBus } from '../core/bus/index.ts';
import type { Logger } from '../core/log.ts';
import type { PiiCipher } from '../privacy/crypto.ts';
import type { PrincipalCache } from '../identity/cache.ts';

/** The Fastify instance with Zod schemas as its type provider. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What every capability's routes and workers are given. */
export interface Services {
  config: Config;
  database: Database;
  db: Kysely<DB>;
  bus: EventBus;
  log: Logger;
  /** Encrypts, decrypts and keyed-hashes personal data (src/privacy). */
  pii: PiiCipher;
  /** Recently resolved sessions and API keys (a few seconds). */
  principals: PrincipalCache;
}

/** A capability's HTTP surface: registers its routes on the app. */
export type RouteModule = (app: Api, services: Services) => void | Promise<void>;
