import { z } from 'zod';
import os from 'node:os';
import path from 'node:path';

/** Every setting comes from the environment, validated once at start; see README "Configuration". */
const EnvSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  INTERDICT_DATA_DIR: z.string().default('./data'),
  NATS_URL: z.string().optional(),
  NATS_STREAM: z.string().default('INTERDICT'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Comma-separated `keyId:base64key` pairs; the first is used for new ciphertexts, all decrypt. */
  INTERDICT_PII_KEYS: z.string().optional(),
  /** Key for the keyed hashes (HMAC) that index personal data for lookup. */
  INTERDICT_LOOKUP_KEY: z.string().optional(),
  INTERDICT_SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
  INTERDICT_PUBLIC_RATE_LIMIT: z.coerce.number().int().positive().default(60),
  INTERDICT_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  INTERDICT_DEMO: z.enum(['auto', 'off']).default('auto'),
  INTERDICT_EVIDENCE_DIR: z.string().optional(),
  INTERDICT_RECENT_EVENTS: z.coerce.number().int().min(0).max(1_000_000).default(20_000),
  /** The operator's SMSC: `smpp://system_id:password@host:2775` (`ssmpp://` for TLS); unset: SMS are not sent. */
  INTERDICT_SMPP_URL: z
    .string()
    .regex(/^s?smpp:\/\/[^@/]+@[^/]+$/, 'must look like smpp://system_id:password@host:port')
    .optional(),
  /** Sender id of the SMS: a short code (digits) or up to 11 letters and digits. */
  INTERDICT_SMS_SOURCE: z
    .string()
    .regex(
      /^(\+?\d{1,20}|[A-Za-z0-9 ]{1,11})$/,
      'must be digits (a short code) or up to 11 letters and digits',
    )
    .default('12381'),
  /** How long an executed stop-payment holds before it expires unless renewed (docs/funds.md). */
  INTERDICT_STOP_PAYMENT_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 31)
    .default(48),
  /** How many times a stop-payment may be renewed. */
  INTERDICT_STOP_PAYMENT_RENEWALS: z.coerce.number().int().min(0).max(10).default(1),
  /** Days of call records and transactions the record stream keeps (docs/detection.md, "Retention"). */
  INTERDICT_RECORD_STREAM_KEEP_DAYS: z.coerce.number().int().min(1).max(366).default(7),
  /**
   * Minutes a record feed may go unheard before it stops holding the others back (docs/detection.md,
   * "Publishing over HTTP"): longer than the slowest sender's upload or heartbeat interval.
   */
  INTERDICT_FEED_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(10),
  /** Minutes a heard feed's `through` may stay unmoved before it is reported stuck. */
  INTERDICT_FEED_STUCK_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(10),
  /** A JSON file of detector parameters (docs/detection.md, "Parameters"); unset: the defaults. */
  INTERDICT_DETECTOR_PARAMS: z.string().optional(),
});

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  natsUrl: string | undefined;
  natsStream: string;
  host: string;
  port: number;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  piiKeys: string | undefined;
  lookupKey: string | undefined;
  sessionTtlMs: number;
  publicRateLimitPerMinute: number;
  bodyLimitBytes: number;
  seedDemo: boolean;
  /** Where report evidence files are kept (default `<dataDir>/evidence`; share it between nodes). */
  evidenceDir: string;
  /** Decisions a node keeps in memory for replaying policies (0: none). */
  recentEvents: number;
  /** The SMSC the SMS gateway binds to (src/channels); undefined: the outbox is not sent. Holds the password. */
  smppUrl: string | undefined;
  smsSource: string;
  /** Hours an executed stop-payment holds; a renewal adds as many. */
  stopPaymentHours: number;
  stopPaymentRenewals: number;
  /** How long the record stream keeps records (stream time for the embedded one, age on NATS). */
  recordStreamKeepMs: number;
  /** A record feed not heard for this long no longer holds the watermark back. */
  feedIdleMs: number;
  /** A heard feed whose `through` has not moved for this long is stuck. */
  feedStuckMs: number;
  /** The detectors' parameters file (src/detection/params.ts), or undefined for the defaults. */
  detectorParamsFile: string | undefined;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.INTERDICT_DATA_DIR),
    natsUrl: e.NATS_URL,
    natsStream: e.NATS_STREAM,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    piiKeys: e.INTERDICT_PII_KEYS,
    lookupKey: e.INTERDICT_LOOKUP_KEY,
    sessionTtlMs: e.INTERDICT_SESSION_TTL_HOURS * 3_600_000,
    publicRateLimitPerMinute: e.INTERDICT_PUBLIC_RATE_LIMIT,
    bodyLimitBytes: e.INTERDICT_BODY_LIMIT_BYTES,
    seedDemo: e.INTERDICT_DEMO === 'auto',
    evidenceDir: path.resolve(
      e.INTERDICT_EVIDENCE_DIR ??
        // An in-memory database keeps its evidence in a temporary folder, not under the working directory.
        (e.INTERDICT_DATA_DIR.startsWith('memory://')
          ? path.join(os.tmpdir(), `interdict-evidence-${process.pid}`)
          : path.join(e.INTERDICT_DATA_DIR, 'evidence')),
    ),
    recentEvents: e.INTERDICT_RECENT_EVENTS,
    smppUrl: e.INTERDICT_SMPP_URL,
    smsSource: e.INTERDICT_SMS_SOURCE,
    stopPaymentHours: e.INTERDICT_STOP_PAYMENT_HOURS,
    stopPaymentRenewals: e.INTERDICT_STOP_PAYMENT_RENEWALS,
    recordStreamKeepMs: e.INTERDICT_RECORD_STREAM_KEEP_DAYS * 86_400_000,
    feedIdleMs: e.INTERDICT_FEED_IDLE_MINUTES * 60_000,
    feedStuckMs: e.INTERDICT_FEED_STUCK_MINUTES * 60_000,
    detectorParamsFile: e.INTERDICT_DETECTOR_PARAMS ? path.resolve(e.INTERDICT_DETECTOR_PARAMS) : undefined,
  };
}

function stripEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}
