/**
 * A minimal GraphQL-over-SSE client for tests: POSTs one operation with
 * `Accept: text/event-stream` to a real port and parses the stream yoga sends
 * (`event: next` / `data: <json>` ... `event: complete`; `:` lines are keep-alive pings).
 */
export interface SseEvent {
  event: string;
  data: string;
}

export interface GraphQLEvent<TData> {
  data?: TData | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface SseSubscription<TData> {
  status: number;
  headers: Headers;
  /** The next `next` event's payload; null once the server sent `complete` or the stream ended. */
  next(): Promise<GraphQLEvent<TData> | null>;
  /** Every remaining payload until the stream completes. */
  rest(): Promise<Array<GraphQLEvent<TData>>>;
  /** True once `event: complete` arrived. */
  readonly completed: boolean;
  /** Disconnects (like a closed browser tab). */
  close(): void;
}

export async function subscribeSse<TData = Record<string, unknown>>(
  url: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<SseSubscription<TData>> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let completed = false;
  let ended = false;

  const readEvent = async (): Promise<SseEvent | null> => {
    for (;;) {
      const boundary = buffer.indexOf("\n\n");
      if (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const lines = block.split("\n").filter((line) => !line.startsWith(":"));
        if (lines.length === 0) continue; // ping
        const field = (name: string): string =>
          lines
            .filter((line) => line.startsWith(`${name}:`))
            .map((line) => line.slice(name.length + 1).replace(/^ /, ""))
            .join("\n");
        return { event: field("event") || "message", data: field("data") };
      }
      if (ended || reader === undefined) return null;
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        ended = true;
        return null;
      }
      if (chunk.done) {
        ended = true;
        continue;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };

  const next = async (): Promise<GraphQLEvent<TData> | null> => {
    if (completed) return null;
    for (;;) {
      const event = await readEvent();
      if (event === null) return null;
      if (event.event === "complete") {
        completed = true;
        return null;
      }
      if (event.event === "next" || event.event === "message") return JSON.parse(event.data) as GraphQLEvent<TData>;
    }
  };

  return {
    status: response.status,
    headers: response.headers,
    next,
    async rest() {
      const out: Array<GraphQLEvent<TData>> = [];
      for (let event = await next(); event !== null; event = await next()) out.push(event);
      return out;
    },
    get completed() {
      return completed;
    },
    close() {
      controller.abort();
    },
  };
}
