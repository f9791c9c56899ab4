/**
 * The parts of the `smpp` package (v0.5.1, JavaScript without types) that the SMS gateway and its
 * tests use. Parameter names are the SMPP specification's.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type net from 'node:net';

  // CommonJS: import it as `import smpp from 'smpp'`.
  export = smpp;

  namespace smpp {
    /** A decoded short_message or message_payload: the text (or bytes) and any UDH elements. */
    export interface DecodedMessage {
      message: string | Buffer;
      udh?: Buffer[];
    }

    export interface PduFields {
      command_status?: number;
      sequence_number?: number;
      system_id?: string;
      password?: string;
      system_type?: string;
      interface_version?: number;
      service_type?: string;
      source_addr_ton?: number;
      source_addr_npi?: number;
      source_addr?: string;
      dest_addr_ton?: number;
      dest_addr_npi?: number;
      destination_addr?: string;
      esm_class?: number;
      protocol_id?: number;
      priority_flag?: number;
      registered_delivery?: number;
      data_coding?: number | null;
      short_message?: Buffer | string | DecodedMessage;
      message_payload?: Buffer | string | DecodedMessage;
      message_id?: string;
      receipted_message_id?: string;
      message_state?: number;
    }

    export class PDU implements PduFields {
      constructor(command: string, options?: PduFields);
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      system_id?: string;
      password?: string;
      source_addr?: string;
      destination_addr?: string;
      esm_class?: number;
      data_coding?: number | null;
      registered_delivery?: number;
      short_message?: Buffer | string | DecodedMessage;
      message_payload?: Buffer | string | DecodedMessage;
      message_id?: string;
      receipted_message_id?: string;
      message_state?: number;
      isResponse(): boolean;
      response(options?: PduFields): PDU;
    }

    export type ResponseCallback = (pdu: PDU) => void;

    export class Session extends EventEmitter {
      socket: net.Socket;
      send(pdu: PDU, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
      bind_transceiver(options: PduFields, responseCallback?: ResponseCallback): boolean;
      submit_sm(options: PduFields, responseCallback?: ResponseCallback): boolean;
      deliver_sm(options: PduFields, responseCallback?: ResponseCallback): boolean;
      enquire_link(options?: PduFields, responseCallback?: ResponseCallback): boolean;
      unbind(options?: PduFields, responseCallback?: ResponseCallback): boolean;
    }

    export class Server extends EventEmitter {
      sessions: Session[];
      listen(port: number, host: string, callback?: () => void): this;
      close(callback?: (err?: Error) => void): this;
      address(): net.AddressInfo | string | null;
    }

    export interface ConnectOptions {
      url?: string;
      host?: string;
      port?: number;
      auto_enquire_link_period?: number;
    }

    export function connect(options: ConnectOptions, listener?: () => void): Session;
    export function createServer(listener?: (session: Session) => void): Server;

    export const encodings: {
      ASCII: { match(value: string): boolean; encode(value: string): Buffer; decode(value: Buffer): string };
    };

    export const ESME_ROK: number;
    export const ESME_RINVMSGLEN: number;
    export const ESME_RSYSERR: number;
    export const ESME_RINVDSTADR: number;
    export const ESME_RBINDFAIL: number;
    export const ESME_RINVPASWD: number;
    export const ESME_RMSGQFUL: number;
    export const ESME_RTHROTTLED: number;
    export const ESME_RX_T_APPN: number;
    /** Every command_status by its ESME_* name. */
    export const errors: Record<string, number>;
  }
}
