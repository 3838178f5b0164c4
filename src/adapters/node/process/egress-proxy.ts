/**
 * The only way out of a sandboxed run's network namespace (sandbox.ts): an HTTP proxy on a UNIX
 * socket bound into the sandbox, where socat forwards 127.0.0.1:3128 to it. It lets through the
 * `host:port`s the operator allows (the Messages API by default) and, for runs allowed WebFetch,
 * public addresses: a name is resolved here and the connection made to the address checked, so
 * the server's loopback, private and link-local networks stay out of reach whatever a name
 * resolves to. CONNECT for HTTPS; requests in absolute form for plain HTTP.
 */
import { lookup } from 'node:dns/promises'
import { chmod, mkdir, rm } from 'node:fs/promises'
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Duplex } from 'node:stream'
import { isPublicAddress } from '../../../lib/addresses.js'
import type { Logger } from '../../../lib/logger.js'

/** `host:port` targets a sandboxed run may reach, from the CLI's API URL and the operator's list. */
export const egressTargets = (apiBaseUrl: string | undefined, extra: readonly string[] = []) => {
  const url = new URL(apiBaseUrl || 'https://api.anthropic.com')
  const port = url.port || (url.protocol === 'http:' ? '80' : '443')
  return [...new Set([`${url.hostname}:${port}`, ...extra])]
}

/** The proxy's socket, in the work directory unless that path is too long for a UNIX socket. */
export const egressSocketPath = (workDir: string, name = 'egress') => {
  const path = join(workDir, `${name}.sock`)
  return path.length <= 100 ? path : join(tmpdir(), `cca-${process.pid}`, `${name}.sock`)
}

export type EgressProxy = ReturnType<typeof createEgressProxy>

export type EgressOptions = {
  socketPath: string
  /** `host:port`s always reachable (the Messages API, the operator's list). */
  allow: readonly string[]
  /** Public addresses too, on ports 80 and 443 (for WebFetch). */
  publicWeb?: boolean
  logger: Logger
}

/** Where to connect for `host:port`, or undefined when the sandbox may not reach it. */
type Route = (host: string, port: string) => Promise<string | undefined>

/**
 * The operator's `host:port`s as written; otherwise, for the public web, the name is resolved
 * first (numeric spellings such as `0`, `127.1` or `0x7f000001` resolve too) and every address
 * it has must be public unicast (lib/addresses.ts). The address checked is the one connected to.
 */
export const createRoute =
  (allowed: ReadonlySet<string>, publicWeb: boolean): Route =>
  async (host, port) => {
    if (allowed.has(`${host}:${port}`)) return host
    if (!publicWeb || (port !== '80' && port !== '443')) return undefined
    const name = host.replace(/^\[|\]$/g, '')
    const addresses = await lookup(name, { all: true }).catch(() => [])
    if (addresses.length === 0 || !addresses.every((a) => isPublicAddress(a.address))) {
      return undefined
    }
    return addresses[0]?.address
  }

/** `host:port` of a CONNECT target (`[v6]:port` too). */
const splitTarget = (target: string) => {
  const colon = target.lastIndexOf(':')
  return colon < 0 ? ['', ''] : [target.slice(0, colon), target.slice(colon + 1)]
}

/** Plain HTTP, a request in absolute form: forwarded to the checked address. */
const forward =
  (route: Route, refuse: (target: string) => void) =>
  async (req: IncomingMessage, res: ServerResponse) => {
    let url: URL
    try {
      url = new URL(req.url ?? '')
    } catch {
      res.writeHead(400).end()
      return
    }
    const port = url.port || '80'
    const address = url.protocol === 'http:' ? await route(url.hostname, port) : undefined
    if (!address) {
      refuse(`${url.hostname}:${port}`)
      res.writeHead(403).end('This host is not reachable from the sandbox')
      return
    }
    const upstream = httpRequest(
      {
        host: address,
        port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: { ...req.headers, host: url.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  }

/** HTTPS, CONNECT: a tunnel to the checked address. */
const tunnel =
  (route: Route, refuse: (target: string) => void, open: Set<Duplex>) =>
  async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A tunnel is the server's no longer (closeAllConnections does not see it): kept to close.
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    const target = req.url ?? ''
    const [host = '', port = ''] = splitTarget(target)
    const address = host && /^\d+$/.test(port) ? await route(host, port) : undefined
    if (!address) {
      refuse(target)
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    const upstream = connect(Number(port), address, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(socket)
      socket.pipe(upstream)
    })
    upstream.on('error', () => socket.destroy())
    upstream.on('close', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
    socket.on('close', () => upstream.destroy())
  }

export const createEgressProxy = ({ socketPath, allow, publicWeb, logger }: EgressOptions) => {
  const allowed = new Set(allow)
  const route = createRoute(allowed, publicWeb === true)
  const refuse = (target: string) =>
    logger.warn('a sandboxed run tried to reach a host it may not', { target })
  const server = createServer(forward(route, refuse))
  const tunnels = new Set<Duplex>()
  server.on('connect', tunnel(route, refuse, tunnels))

  let started: Promise<string> | undefined
  return {
    /** Lets a `host:port` through from now on (the server's model relay). */
    allow(target: string) {
      allowed.add(target)
    },
    /** Listens (once); resolves with the socket's path. */
    start(): Promise<string> {
      started ??= (async () => {
        await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 })
        await rm(socketPath, { force: true })
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(socketPath, resolve)
        })
        // Any user may connect (a sandbox runs as an unprivileged user of its own); only
        // sandboxes can reach it, where it is bound in: its directory is the server's alone.
        await chmod(socketPath, 0o666)
        return socketPath
      })()
      return started
    },
    async close() {
      if (!started) return
      server.closeAllConnections()
      for (const socket of tunnels) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(socketPath, { force: true })
    },
  }
}
