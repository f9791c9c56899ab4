import smpp from 'smpp';

/**
 * One transceiver bind to the operator's SMSC, kept up: connects, binds with system_id and
 * password, answers enquire_link and sends its own, and when the connection drops or the bind is
 * refused tries again with backoff (1 s doubling to a minute). Submits wait for their
 * submit_sm_resp with a timeout; deliver_sm (receipts) go to a handler and are acknowledged only
 * once it has stored them, so a receipt that could not be stored is sent again by the SMSC.
 */

export interface SmppEndpoint {
  host: string;
  port: number;
  tls: boolean;
  systemId: string;
  password: string;
}

export class SmppUrlError extends Error {}

/** `smpp://system_id:password@host:port` (or `ssmpp://` for TLS); the message never repeats the password. */
export function parseSmppUrl(raw: string): SmppEndpoint {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SmppUrlError('is not a URL (smpp://system_id:password@host:port)');
  }
  if (u.protocol !== 'smpp:' && u.protocol !== 'ssmpp:')
    throw new SmppUrlError('must start with smpp:// or ssmpp://');
  if (!u.hostname) throw new SmppUrlError('names no host');
  if (!u.username) throw new SmppUrlError('names no system_id (smpp://system_id:password@host:port)');
  const tls = u.protocol === 'ssmpp:';
  const systemId = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  // SMPP 3.4: system_id is at most 15 octets, password at most 8.
  if (systemId.length > 15) throw new SmppUrlError('system_id is longer than 15 characters');
  if (password.length > 8) throw new SmppUrlError('password is longer than 8 characters');
  return {
    host: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
    port: u.port ? Number(u.port) : tls ? 3550 : 2775,
    tls,
    systemId,
    password,
  };
}

/** For logs: where and as whom, never the password. */
export function describeEndpoint(e: SmppEndpoint): string {
  return `${e.tls ? 'ssmpp' : 'smpp'}://${e.systemId}@${e.host}:${e.port}`;
}

/** What the SMSC answered to one submit_sm. */
export interface SubmitAnswer {
  status: number;
  messageId: string | null;
}

/** The submit could not be answered: the link was down, dropped, or the SMSC did not answer in time. */
export class LinkError extends Error {}

export interface SmppLinkOptions {
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** How long a submit_sm waits for its response. */
  responseTimeoutMs?: number;
  enquireLinkMs?: number;
  /** Stores one deliver_sm; throwing makes the SMSC send it again later. */
  onDeliver?: (pdu: smpp.PDU) => Promise<void>;
  /** Called after each successful bind. */
  onBound?: () => void;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

const RESPONSE_TIMEOUT_MS = 10_000;

export class SmppLink {
  private session: smpp.Session | null = null;
  private bound = false;
  private stopped = true;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private waiters: Array<() => void> = [];
  private downLogged = false;

  constructor(
    readonly endpoint: SmppEndpoint,
    private readonly opts: SmppLinkOptions,
  ) {}

  get isBound(): boolean {
    return this.bound;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Resolves once bound, or false after `timeoutMs`. */
  waitBound(timeoutMs: number): Promise<boolean> {
    if (this.bound) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        resolve(this.bound);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(this.bound);
      }, timeoutMs);
      this.waiters.push(done);
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const e = this.endpoint;
    const session = smpp.connect({
      host: e.host,
      port: e.port,
      ...(e.tls ? { tls: true } : {}),
      auto_enquire_link_period: this.opts.enquireLinkMs ?? 30_000,
    } as smpp.ConnectOptions);
    this.session = session;
    let closed = false;
    const onGone = (why: string) => {
      if (closed) return;
      closed = true;
      this.bound = false;
      if (this.session === session) this.session = null;
      session.destroy();
      if (!this.stopped) this.retryLater(why);
    };
    session.on('error', (err: NodeJS.ErrnoException) => onGone(err.code ?? 'connection error'));
    session.on('close', () => onGone('connection closed'));
    session.on(e.tls ? 'secureConnect' : 'connect', () => {
      session.bind_transceiver({ system_id: e.systemId, password: e.password }, (pdu) => {
        if (pdu.command_status !== smpp.ESME_ROK) {
          onGone(`bind refused: ${statusName(pdu.command_status)}`);
          return;
        }
        this.bound = true;
        this.failures = 0;
        this.opts.log.info({ smsc: describeEndpoint(e) }, 'SMSC bound (transceiver)');
        this.downLogged = false;
        for (const w of this.waiters.splice(0)) w();
        this.opts.onBound?.();
      });
    });
    session.on('enquire_link', (pdu: smpp.PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: smpp.PDU) => {
      this.bound = false;
      session.send(pdu.response());
      onGone('SMSC unbound');
    });
    session.on('deliver_sm', (pdu: smpp.PDU) => {
      const handle = this.opts.onDeliver ?? (async () => undefined);
      handle(pdu).then(
        () => session.send(pdu.response()),
        // Not stored: a temporary error makes the SMSC deliver it again.
        () => session.send(pdu.response({ command_status: smpp.ESME_RX_T_APPN })),
      );
    });
  }

  private retryLater(why: string): void {
    const base = this.opts.reconnectBaseMs ?? 1_000;
    const max = this.opts.reconnectMaxMs ?? 60_000;
    const delay = Math.min(base * 2 ** this.failures, max);
    this.failures = Math.min(this.failures + 1, 30);
    // One warning per outage, not one per try.
    if (!this.downLogged)
      this.opts.log.warn(
        { smsc: describeEndpoint(this.endpoint), reason: why },
        'SMSC not reachable; retrying with backoff',
      );
    this.downLogged = true;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  /** Sends one submit_sm and waits for its answer; LinkError when there is none. */
  submit(fields: smpp.PduFields): Promise<SubmitAnswer> {
    const session = this.session;
    if (!session || !this.bound) return Promise.reject(new LinkError('not bound to the SMSC'));
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.off('close', onClose);
        fn();
      };
      const onClose = () => finish(() => reject(new LinkError('connection lost before the SMSC answered')));
      const timer = setTimeout(
        () => finish(() => reject(new LinkError('the SMSC did not answer in time'))),
        this.opts.responseTimeoutMs ?? RESPONSE_TIMEOUT_MS,
      );
      session.once('close', onClose);
      const sent = session.submit_sm(fields, (pdu) =>
        finish(() => resolve({ status: pdu.command_status, messageId: pdu.message_id || null })),
      );
      if (!sent) finish(() => reject(new LinkError('connection not writable')));
    });
  }

  /** Unbinds (briefly waiting for the answer) and closes; no reconnect after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const w of this.waiters.splice(0)) w();
    const session = this.session;
    this.session = null;
    if (!session) return;
    if (this.bound) {
      this.bound = false;
      // Waits briefly for unbind_resp; a link that cannot write is closed at once.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1_000);
        const done = () => {
          clearTimeout(t);
          resolve();
        };
        if (!session.unbind({}, done)) done();
      });
    }
    await new Promise<void>((resolve) => {
      if (session.socket.destroyed) return resolve();
      session.destroy(() => resolve());
    });
  }
}

const names = new Map<number, string>();
/** `ESME_RTHROTTLED (0x58)`. */
export function statusName(status: number): string {
  if (names.size === 0) for (const [k, v] of Object.entries(smpp.errors)) if (!names.has(v)) names.set(v, k);
  return `${names.get(status) ?? 'status'} (0x${status.toString(16)})`;
}
