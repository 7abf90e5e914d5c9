import type { Bus, HistoryLimits } from "@eventwire/core";
import type { BusConformanceOptions } from "./options.js";
import { RecordingContext } from "./recording-context.js";

/** What the module of {@link BusConformanceOptions.bus} exports: options in, a bus out. */
export type BusFactory = (options: Record<string, unknown>) => Bus;

/** Imports the bus factory that `spec` names, failing clearly when it is not there. */
export async function loadBusFactory(spec: BusConformanceOptions["bus"]): Promise<BusFactory> {
  const module = (await import(/* @vite-ignore */ spec.module.href)) as Record<string, unknown>;
  const factory = module[spec.export];
  if (typeof factory !== "function") {
    throw new TypeError(`bus suite: ${spec.module.href} has no function export "${spec.export}" (it exports ${Object.keys(module).join(", ")})`);
  }
  return factory as BusFactory;
}

/** A stream name no other test uses, valid as a Redis key and a NATS stream name alike. */
export function uniqueStream(label = "bus"): string {
  return `eventwire_test_${label}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

export interface OpenedBus {
  bus: Bus;
  context: RecordingContext;
  stream: string;
}

/** Opens streams, buses, processes and clients for one case, and closes and deletes them all after it. */
export class BusHarness {
  readonly #closers: (() => Promise<unknown> | void)[] = [];

  constructor(
    readonly options: BusConformanceOptions,
    readonly factory: BusFactory,
  ) {}

  /** A fresh stream name on the engine at `address` (the shared one by default), deleted after the case. */
  stream(label = "bus", address?: string): string {
    const stream = uniqueStream(label);
    this.defer(() => this.options.engine.deleteStream(stream, address));
    return stream;
  }

  /** A bus (not yet open) on `stream`, closed after the case; `extra` overrides its options. */
  bus(stream: string, address?: string, extra: Record<string, unknown> = {}): Bus {
    const bus = this.factory({ ...this.options.bus.options(stream, address), ...extra });
    this.defer(() => bus.close());
    return bus;
  }

  /** An open bus on a fresh stream (or on `stream`) that records what it delivers. */
  async open(options: { stream?: string; address?: string; history?: Partial<HistoryLimits> } = {}): Promise<OpenedBus> {
    const stream = options.stream ?? this.stream("bus", options.address);
    const bus = this.bus(stream, options.address);
    const context = new RecordingContext(options.history);
    await bus.open(context);
    return { bus, context, stream };
  }

  defer(closer: () => Promise<unknown> | void): void {
    this.#closers.push(closer);
  }

  /** Closes everything in the reverse of the order it was opened; every step runs, the first failure is thrown. */
  async closeAll(): Promise<void> {
    let failure: unknown;
    for (const close of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}
