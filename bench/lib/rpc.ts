/**
 * Typed request/response over a child process's IPC channel: every bench worker (emulator host,
 * load generators) is a separate process the runner drives through `callWorker`, so load,
 * upstream and gateway never share an event loop or a core's time slice by accident.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A worker's methods: one serialisable input, one serialisable output. */
export type Methods = Record<string, (input: never) => Promise<unknown>>;

interface RpcRequest {
  id: number;
  method: string;
  input: unknown;
}

type RpcReply = { id: number; ok: true; output: unknown } | { id: number; ok: false; error: string };

/** Child side: answers the parent's calls until the channel closes, then exits. */
export function serveRpc(methods: Methods): void {
  process.on("message", (message: RpcRequest) => {
    const handler = methods[message.method];
    const reply = (body: RpcReply): void => {
      process.send?.(body);
    };
    if (handler === undefined) {
      reply({ id: message.id, ok: false, error: `no method ${message.method}` });
      return;
    }
    // The parent typed the input against the same Methods interface (see WorkerHandle.call).
    handler(message.input as never).then(
      (output) => reply({ id: message.id, ok: true, output }),
      (error: unknown) => reply({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
}

export interface WorkerHandle<M extends Methods> {
  readonly pid: number;
  call<K extends keyof M & string>(method: K, input: Parameters<M[K]>[0]): Promise<Awaited<ReturnType<M[K]>>>;
  /** Closes the channel (the worker exits) and waits for the process to end. */
  stop(): Promise<void>;
}

/** Forks `bench/workers/<file>` under tsx; resolves once the process is running. */
export function startWorker<M extends Methods>(file: string, env: Readonly<Record<string, string>> = {}): WorkerHandle<M> {
  const path = fileURLToPath(new URL(`../workers/${file}`, import.meta.url));
  const child: ChildProcess = fork(path, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = true;
      for (const waiter of pending.values()) waiter.reject(new Error(`worker ${file} exited (${signal ?? code ?? "?"})`));
      pending.clear();
      resolve();
    });
  });
  child.on("message", (reply: RpcReply) => {
    const waiter = pending.get(reply.id);
    if (waiter === undefined) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.output);
    else waiter.reject(new Error(`worker ${file}: ${reply.error}`));
  });
  return {
    pid: child.pid ?? -1,
    call(method, input) {
      if (exited) return Promise.reject(new Error(`worker ${file} is not running`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        // Output crosses a process boundary as JSON; both sides are typed by the same Methods.
        pending.set(id, { resolve: (value) => resolve(value as Awaited<ReturnType<M[typeof method]>>), reject });
        child.send({ id, method, input } satisfies RpcRequest);
      });
    },
    async stop() {
      if (exited) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}
