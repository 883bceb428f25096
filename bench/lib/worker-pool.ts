/**
 * The run's helper processes (emulator host, load generators), started on first use and kept
 * for the next case: they hold no state between jobs, so a case pays only for its own gateway's
 * start. A case leases the helpers it uses and gives them back when it ends; cases running side
 * by side (quick runs) get helpers of their own. `close()` stops them all at the end of the run.
 */
import type { EmulatorHostMethods } from "./emulator-protocol.js";
import type { HttpLoadMethods, UpstreamLoadMethods } from "./load-protocol.js";
import { startWorker, type Methods, type WorkerHandle } from "./rpc.js";

class Workers<M extends Methods> {
  readonly #idle: WorkerHandle<M>[] = [];
  readonly #all: WorkerHandle<M>[] = [];

  constructor(private readonly file: string) {}

  take(): WorkerHandle<M> {
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    const worker = startWorker<M>(this.file);
    this.#all.push(worker);
    return worker;
  }

  give(worker: WorkerHandle<M>): void {
    this.#idle.push(worker);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#all.map((worker) => worker.stop()));
    this.#all.length = 0;
    this.#idle.length = 0;
  }
}

export class WorkerPool {
  readonly emulatorHosts = new Workers<EmulatorHostMethods>("emulator-host.ts");
  readonly httpLoads = new Workers<HttpLoadMethods>("autocannon-worker.ts");
  readonly clientLoads = new Workers<UpstreamLoadMethods>("client-worker.ts");
  readonly sdkLoads = new Workers<UpstreamLoadMethods>("sdk-worker.ts");

  /** Forks the helpers nearly every case needs now, so they boot while the first gateway does. */
  startCommon(): void {
    this.emulatorHosts.give(this.emulatorHosts.take());
    this.httpLoads.give(this.httpLoads.take());
    this.clientLoads.give(this.clientLoads.take());
  }

  async close(): Promise<void> {
    await Promise.all([this.emulatorHosts.stopAll(), this.httpLoads.stopAll(), this.clientLoads.stopAll(), this.sdkLoads.stopAll()]);
  }
}

/** What one case has taken from the pool; `giveBack()` returns it all when the case ends. */
export class WorkerLease {
  readonly #returns: (() => void)[] = [];
  readonly #taken = new Map<object, unknown>();

  constructor(private readonly pool: WorkerPool) {}

  emulatorHost(): WorkerHandle<EmulatorHostMethods> {
    return this.#lease(this.pool.emulatorHosts);
  }

  httpLoad(): WorkerHandle<HttpLoadMethods> {
    return this.#lease(this.pool.httpLoads);
  }

  clientLoad(): WorkerHandle<UpstreamLoadMethods> {
    return this.#lease(this.pool.clientLoads);
  }

  sdkLoad(): WorkerHandle<UpstreamLoadMethods> {
    return this.#lease(this.pool.sdkLoads);
  }

  giveBack(): void {
    for (const giveBack of this.#returns.splice(0)) giveBack();
    this.#taken.clear();
  }

  /** One worker of a kind per case, however often the case asks. */
  #lease<M extends Methods>(workers: Workers<M>): WorkerHandle<M> {
    const taken = this.#taken.get(workers) as WorkerHandle<M> | undefined; // keyed by `workers`, so it is its kind
    if (taken !== undefined) return taken;
    const worker = workers.take();
    this.#taken.set(workers, worker);
    this.#returns.push(() => workers.give(worker));
    return worker;
  }
}
