import type { GapReason } from "@eventwire/core";

/** A reason a bus tells (the hub alone tells `overrun`). */
export type BusGapReason = Exclude<GapReason, "overrun">;

/**
 * An engine server of the test's own, on a spare port, that a case takes down and brings back (the
 * shared engine is never touched).
 */
export interface OwnEngine {
  /** Its address, as the bus's options take it and its errors name it (`redis://127.0.0.1:6390`). */
  readonly address: string;
  /**
   * Takes it down abruptly, but so that it keeps every write it acknowledged (Redis: SIGKILL with an
   * fsync-always AOF; NATS: SIGTERM, which flushes JetStream's file store).
   */
  down(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it serves. */
  up(): Promise<void>;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
}

/** What the bus suite needs to know about one bus implementation: how it differs from the others. */
export interface BusConformanceOptions {
  bus: {
    /**
     * The module that exports the bus factory, as a file URL. The suite imports it here and in the
     * child processes of the multi-process cases, so a `.ts` source works (children load TypeScript).
     */
    module: URL;
    /** The name of its export that makes a bus: `(options) => Bus` (`"redisBus"`). */
    export: string;
    /**
     * The factory's options for a bus on `stream`, on the engine at `address` (the shared engine
     * when it is undefined). Plain JSON: they are sent to child processes.
     */
    options(stream: string, address?: string): Record<string, unknown>;
  };
  engine: {
    /** The engine as the bus's errors name it (`"Redis"`, `"NATS"`). */
    name: string;
    /** The address of an engine on 127.0.0.1 at `port`, as the options take it and errors name it. */
    address(port: number): string;
    /** Deletes a stream with its history: after each case, for every stream it used, and in the deleted-stream case. */
    deleteStream(stream: string, address?: string): Promise<void>;
    /** Starts an engine of the test's own for the engine-restart and history-reset cases. */
    start(): Promise<OwnEngine>;
    /**
     * Resets the history store under running buses, as an operator would, on an engine of the
     * test's own (at `address`): Redis `FLUSHDB`; NATS deletes the stream and creates it again
     * with the same configuration. Resolves once the store is empty and takes publishes.
     */
    resetHistory(stream: string, address: string): Promise<void>;
    /**
     * Another error a publish may meet while the engine restarts, besides `<name> at <address> ...`
     * (JetStream: `no JetStream stream takes ...`, until it has loaded its streams again).
     */
    restartError?: RegExp;
  };
  ids: {
    /**
     * Asserts the format of the ids a stream issued to its first events, oldest first (Redis
     * `<ms>-<seq>`; NATS `<stream epoch>-<sequence>`, so exactly `<epoch>-1` to `<epoch>-n`).
     */
    checkFresh(ids: readonly string[], stream: string, address?: string): void | Promise<void>;
    /**
     * Ids in this bus's format that it must answer with a gap on a stream that issued `issued`
     * (and kept them all), each with the reason it must tell: malformed, newer than the newest,
     * from an earlier or a later stream, an in-memory bus's. The suite adds `""` and `"nope"`
     * (both `unknown`).
     */
    gapCases(issued: readonly string[]): { id: string; reason: BusGapReason }[];
  };
  history: {
    /** How many events beyond `maxEvents` the bus may keep (Redis `MAXLEN ~` keeps up to a node more). Default 0. */
    countSlack?: number;
    /**
     * Whether resuming from the newest event the bound dropped is exact (no gap: NATS knows the
     * stream's first sequence), or a gap (Redis cannot tell which id preceded its oldest entry).
     */
    resumesFromNewestDropped: boolean;
  };
  deletedStream?: {
    /**
     * Whether publishes may be refused after the stream was deleted, until the bus notices and
     * creates it anew (NATS: no stream takes the subject). Default false: the next publish creates it.
     */
    refusesPublishesUntilRecreated?: boolean;
    /** What the bus reports (through `onError`) when it finds its stream created anew, if it does. */
    recreatedError?(stream: string): string;
  };
  errors: {
    /** How the bus's errors start: `"@eventwire/redis"`. */
    prefix: string;
    /** What an open refused by the engine's host says about it (`"ECONNREFUSED"`). */
    refused: string;
  };
}
