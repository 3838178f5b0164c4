/**
 * Where a CLI process's own telemetry goes when tracing is on: a route per process on loopback
 * (the process's `OTEL_EXPORTER_OTLP_ENDPOINT`), which moves each span and log record under the
 * run the process was serving (otlp-remap.ts) and sends it on to the operator's OTLP endpoint.
 * The CLI exports OTLP/JSON here; it goes on as OTLP/JSON, which every OTLP/HTTP receiver takes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base'
import type { Logger } from '../../../lib/logger.js'
import type { TraceCarrier } from '../../../tracing/context.js'
import { createLoopbackServer } from './loopback-server.js'
import { createRemap, type SpanRef, spanRefOf, type Window } from './otlp-remap.js'

/** Where each signal goes, and with which headers (the operator's `OTEL_EXPORTER_OTLP_*`). */
export type OtlpTargets = {
  traces?: { url: string; headers: Record<string, string> }
  metrics?: { url: string; headers: Record<string, string> }
  logs?: { url: string; headers: Record<string, string> }
  /** The operator's other `OTEL_*` settings the CLI reads too (exporters, intervals, resource). */
  env: Record<string, string>
  /** Prompts in the CLI's own records (`OTEL_LOG_USER_PROMPTS`). */
  content: boolean
}

export type TelemetryRoute = {
  /** The process's telemetry settings. */
  env: Record<string, string>
  /**
   * The process serves this run from now until the returned call. A run continued with tool
   * results (`continues`) goes on in the turn its first part began: that part's run keeps it.
   */
  serve(run: TraceCarrier | undefined, continues?: boolean): () => void
  close(): void
}

/** Runs a process served that its late exports may still name (an export waits up to seconds). */
const WINDOWS_KEPT = 32
const MAX_BODY = 16 * 1024 * 1024
/** The stand-in parent of a process started ahead, made as the SDK makes ids. */
const ids = new RandomIdGenerator()
const FORWARD_TIMEOUT_MS = 10_000

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new Error('telemetry body too large')
    chunks.push(chunk as Buffer)
  }
  const body = Buffer.concat(chunks)
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body
}

export type TelemetryRelayOptions = {
  targets: OtlpTargets
  /** Told the relay's `host:port` once it listens (a sandbox's egress must let it through). */
  onListen?: (target: string) => void
  logger: Logger
}

export const createTelemetryRelay = ({ targets, onListen, logger }: TelemetryRelayOptions) => {
  type Route = { start: SpanRef; startIsRun: boolean; windows: Window[] }
  const routes = new Map<string, Route>()

  const forward = async (signal: 'traces' | 'metrics' | 'logs', body: unknown) => {
    const target = targets[signal]
    if (!target) return 200
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { ...target.headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    })
    await response.body?.cancel()
    return response.status
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/otlp\/([\w-]+)\/v1\/(traces|metrics|logs)$/.exec(req.url ?? '')
    const route = match?.[1] ? routes.get(match[1]) : undefined
    const signal = match?.[2] as 'traces' | 'metrics' | 'logs' | undefined
    if (!route || !signal || req.method !== 'POST') {
      req.resume()
      res.writeHead(404).end()
      return
    }
    try {
      const body = JSON.parse((await readBody(req)).toString('utf8'))
      const remap = createRemap(route.start, route.startIsRun, route.windows)
      const status = await forward(
        signal,
        signal === 'traces' ? remap.traces(body) : signal === 'logs' ? remap.logs(body) : body
      )
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}')
    } catch (error) {
      logger.warn("could not pass on a CLI process's telemetry", {
        signal,
        error: error instanceof Error ? error.message : String(error),
      })
      if (!res.headersSent) res.writeHead(502).end()
    }
  }

  const server = createLoopbackServer((req, res) => void handle(req, res), onListen)

  return {
    /**
     * A route for a process about to start: for a run (its span is the CLI's parent) or ahead
     * of any (a stand-in parent, which no record keeps).
     */
    async open(run: TraceCarrier | undefined): Promise<TelemetryRoute> {
      const address = await server.address()
      const id = crypto.randomUUID()
      const given = spanRefOf(run?.traceparent)
      const start = given ?? {
        traceId: ids.generateTraceId(),
        spanId: ids.generateSpanId(),
        sampled: true,
      }
      const route: Route = { start, startIsRun: given !== undefined, windows: [] }
      routes.set(id, route)
      const traceparent = `00-${start.traceId}-${start.spanId}-${start.sampled ? '01' : '00'}`
      return {
        env: {
          ...targets.env,
          CLAUDE_CODE_ENABLE_TELEMETRY: '1',
          CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
          CLAUDE_CODE_PROPAGATE_TRACEPARENT: '1',
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://${address}/otlp/${id}`,
          TRACEPARENT: traceparent,
          ...(run?.tracestate && { TRACESTATE: run.tracestate }),
          ...(targets.content && { OTEL_LOG_USER_PROMPTS: '1' }),
        },
        serve(carrier, continues) {
          const last = route.windows.at(-1)
          const window: Window =
            continues && last ? last : { from: Date.now(), run: spanRefOf(carrier?.traceparent) }
          if (window === last) window.to = undefined
          else route.windows.push(window)
          if (route.windows.length > WINDOWS_KEPT) route.windows.shift()
          return () => {
            window.to ??= Date.now()
          }
        },
        close: () => routes.delete(id),
      }
    },
    close: () => server.close(),
  }
}
export type TelemetryRelay = ReturnType<typeof createTelemetryRelay>
