/**
 * An OTLP/HTTP receiver on loopback for tests, as a collector's `otlp` receiver takes exports:
 * `POST …/v1/traces|metrics|logs` in `http/json` or `http/protobuf`, gzip or not. What arrives
 * is kept in OTLP/JSON's shape, flattened: spans with their attributes as a plain record.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { decodeLogs, decodeMetrics, decodeTraces } from './protobuf.js'

type Value = { [kind: string]: unknown }
type KeyValue = { key: string; value: Value }

export type ReceivedSpan = {
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  kind: number
  attributes: Record<string, unknown>
  events: { name: string; attributes: Record<string, unknown> }[]
  status: { code?: number; message?: string }
  resource: Record<string, unknown>
  /** How it came: `json` or `protobuf`. */
  encoding: 'json' | 'protobuf'
  path: string
}

export type ReceivedLog = {
  traceId: string
  spanId: string
  body: unknown
  attributes: Record<string, unknown>
}

const plain = (value: Value | undefined): unknown => {
  if (!value) return undefined
  if ('arrayValue' in value) {
    return ((value.arrayValue as { values?: Value[] }).values ?? []).map(plain)
  }
  if ('intValue' in value) return Number(value.intValue)
  return Object.values(value)[0]
}

const record = (attributes: KeyValue[] | undefined) =>
  Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, plain(value)]))

// OTLP/JSON writes ids as hex; some exporters write them as base64 (the spec's bytes mapping).
const id = (value: unknown) =>
  typeof value === 'string' && !/^[\da-f]*$/.test(value)
    ? Buffer.from(value, 'base64').toString('hex')
    : String(value ?? '')

export type OtlpReceiver = ReturnType<typeof startOtlpReceiver> extends Promise<infer R> ? R : never

export const startOtlpReceiver = async () => {
  const spans: ReceivedSpan[] = []
  const logs: ReceivedLog[] = []
  const metrics: string[] = []
  const requests: { path: string; contentType: string }[] = []
  const waiters = new Set<() => void>()
  const server = createServer((req, res) => {
    // For a test in another runtime (workerd): a trace's spans once one named `name` is there.
    const asked = new URL(req.url ?? '/', 'http://receiver')
    if (req.method === 'GET' && asked.pathname === '/spans') {
      const trace = asked.searchParams.get('trace') ?? ''
      const names = asked.searchParams.getAll('name')
      const found = () => spans.filter((span) => span.traceId === trace)
      const has = () => names.every((name) => found().some((span) => span.name === name))
      const answer = () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(found()))
      if (has()) answer()
      else {
        const wake = () => {
          if (!has()) return
          waiters.delete(wake)
          answer()
        }
        waiters.add(wake)
        req.on('close', () => waiters.delete(wake))
      }
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      let body = Buffer.concat(chunks)
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
      const path = req.url ?? ''
      const contentType = String(req.headers['content-type'] ?? '')
      requests.push({ path, contentType })
      const json = contentType.includes('json')
      const signal = /\/v1\/(traces|metrics|logs)$/.exec(path)?.[1]
      try {
        if (signal === 'traces') {
          const data = json ? JSON.parse(body.toString('utf8')) : decodeTraces(body)
          for (const rs of data.resourceSpans ?? []) {
            const resource = record(rs.resource?.attributes)
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                spans.push({
                  traceId: id(s.traceId),
                  spanId: id(s.spanId),
                  parentSpanId: id(s.parentSpanId),
                  name: s.name,
                  kind: Number(s.kind ?? 0),
                  attributes: record(s.attributes),
                  events: (s.events ?? []).map((e: { name: string; attributes?: KeyValue[] }) => ({
                    name: e.name,
                    attributes: record(e.attributes),
                  })),
                  status: s.status ?? {},
                  resource,
                  encoding: json ? 'json' : 'protobuf',
                  path,
                })
              }
            }
          }
        } else if (signal === 'logs') {
          const data = json ? JSON.parse(body.toString('utf8')) : decodeLogs(body)
          for (const rl of data.resourceLogs ?? []) {
            for (const sl of rl.scopeLogs ?? []) {
              for (const l of sl.logRecords ?? []) {
                logs.push({
                  traceId: id(l.traceId),
                  spanId: id(l.spanId),
                  body: plain(l.body),
                  attributes: record(l.attributes),
                })
              }
            }
          }
        } else if (signal === 'metrics') {
          const data = json ? JSON.parse(body.toString('utf8')) : decodeMetrics(body)
          for (const rm of data.resourceMetrics ?? []) {
            for (const sm of rm.scopeMetrics ?? []) {
              for (const m of sm.metrics ?? []) metrics.push(m.name)
            }
          }
        } else {
          res.writeHead(404).end()
          return
        }
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error))
        return
      }
      res
        .writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
        .end(json ? '{}' : '')
      for (const wake of [...waiters]) wake()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    spans,
    logs,
    metrics,
    requests,
    /** Resolves once what has arrived satisfies `done` (checked at each export). */
    until<T>(done: () => T | undefined | false): Promise<T> {
      return new Promise((resolve) => {
        const check = () => {
          const value = done()
          if (!value) return false
          waiters.delete(wake)
          resolve(value)
          return true
        }
        const wake = () => void check()
        if (!check()) waiters.add(wake)
      })
    },
    trace: (traceId: string) => spans.filter((span) => span.traceId === traceId),
    /** A trace's spans once one of each name has arrived. */
    traceWith(traceId: string, ...names: string[]) {
      return this.until(() => {
        const found = spans.filter((span) => span.traceId === traceId)
        return names.every((name) => found.some((span) => span.name === name)) && found
      })
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
