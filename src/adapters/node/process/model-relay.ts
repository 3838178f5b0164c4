/**
 * The server between a CLI process and the API, on loopback, for the processes that need it
 * (the others talk to the API directly):
 * - A run with an output token cap: at the cap the CLI at once asks the model to go on, a billed
 *   call (claude-cli.md §5.9); killing the CLI when its output shows the cap races that call on a
 *   loaded machine. Here the answer is read on its way to the CLI: once one stopped at
 *   `max_tokens`, no further model call of that process leaves the server.
 * - A run on a key's own login: the process holds a stand-in token, and its calls get the
 *   login's real one here. A command the CLI runs (Bash) can read the CLI's environment
 *   (`/proc/<pid>/environ`, same user); the token is never there, nor in the CLI's memory.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Transform } from 'node:stream'
import type { Logger } from '../../../lib/logger.js'
import { createLoopbackServer } from './loopback-server.js'

export type ModelRelay = ReturnType<typeof createModelRelay>

export type RelayRoute = {
  /** The process's `ANTHROPIC_BASE_URL`. */
  baseUrl: string
  /** Whether an answer on this route stopped at the cap. */
  spent: () => boolean
  close: () => void
}

/** What a process's calls get on their way: a stop at the cap, a login's token. */
export type RouteOptions = { capped?: boolean; token?: string }

/** The token a process on a key's login holds instead of the login's (shaped as one). */
export const STAND_IN_TOKEN = 'sk-ant-oat01-claude-code-api-relay-stand-in'

export type ModelRelayOptions = {
  /** Where the model calls go on: the CLI's own `ANTHROPIC_BASE_URL`, or the API. */
  upstream?: string | undefined
  /** Told the relay's `host:port` once it listens (a sandbox's egress must let it through). */
  onListen?: (target: string) => void
  logger: Logger
}

const CAP_STOP = /"stop_reason"\s*:\s*"max_tokens"/
/** Longest stretch of a stop marker that may be split between two chunks. */
const TAIL = 64

/** Passes an answer on, telling `onCap` before the chunk that shows a stop at the cap. */
const watchForCap = (onCap: () => void) => {
  let tail = ''
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const text = tail + chunk.toString('latin1')
      if (CAP_STOP.test(text)) onCap()
      tail = text.slice(-TAIL)
      done(null, chunk)
    },
  })
}

const isModelCall = (req: IncomingMessage, rest: string) =>
  req.method === 'POST' && /\/v1\/messages(\?|$)/.test(rest)

/** What the CLI is told instead of the call: an error it does not retry (400). */
const refuse = (res: ServerResponse) =>
  res.writeHead(400, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: "The run's output token cap was reached: no further model call is made.",
      },
    })
  )

export const createModelRelay = ({ upstream, onListen, logger }: ModelRelayOptions) => {
  const base = new URL(upstream || 'https://api.anthropic.com')
  const basePath = base.pathname.replace(/\/$/, '')
  const send = base.protocol === 'https:' ? httpsRequest : httpRequest
  const routes = new Map<string, RouteOptions & { spent: boolean }>()

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/relay\/([\w-]+)(\/.*)?$/.exec(req.url ?? '')
    const route = match?.[1] ? routes.get(match[1]) : undefined
    if (!route) {
      res.writeHead(404).end()
      return
    }
    const rest = match?.[2] ?? '/'
    const modelCall = isModelCall(req, rest)
    const watched = modelCall && route.capped === true
    if (watched && route.spent) {
      req.resume()
      refuse(res)
      return
    }
    const { host: _host, connection: _connection, ...headers } = req.headers
    if (route.token) {
      delete headers['x-api-key']
      headers.authorization = `Bearer ${route.token}`
    }
    const outgoing = send(
      {
        protocol: base.protocol,
        host: base.hostname,
        port: base.port || undefined,
        method: req.method,
        path: `${basePath}${rest}`,
        // Plain bytes, so the stop can be read on the way.
        headers: { ...headers, host: base.host, 'accept-encoding': 'identity' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        const watch = watchForCap(() => {
          route.spent = true
        })
        answer.pipe(watched ? watch : res)
        if (watched) watch.pipe(res)
      }
    )
    outgoing.on('error', (error) => {
      logger.warn('a relayed model call could not reach the API', { error: error.message })
      if (res.headersSent) res.destroy()
      else res.writeHead(502).end()
    })
    res.on('close', () => outgoing.destroy())
    req.pipe(outgoing)
  }

  const server = createLoopbackServer(handle, onListen)

  return {
    /** A route for one process; the relay listens from the first. */
    async open(options: RouteOptions = {}): Promise<RelayRoute> {
      const target = await server.address()
      const id = crypto.randomUUID()
      const route = { ...options, spent: false }
      routes.set(id, route)
      return {
        baseUrl: `http://${target}/relay/${id}`,
        spent: () => route.spent,
        close: () => routes.delete(id),
      }
    },
    close: () => server.close(),
  }
}
