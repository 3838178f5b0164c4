/**
 * The only way out of a sandboxed run's network namespace (sandbox.ts): an HTTP proxy on a UNIX
 * socket bound into the sandbox, where socat forwards 127.0.0.1:3128 to it. It lets through only
 * the hosts the operator allows (the Messages API by default) and refuses everything else, the
 * server's own loopback, private and link-local addresses included: CONNECT for HTTPS, requests
 * in absolute form for plain HTTP (a local Messages API, as in tests).
 */
import { chmod, mkdir, rm } from 'node:fs/promises'
import { createServer, request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Logger } from '../../../lib/logger.js'

/** `host:port` targets a sandboxed run may reach, from the CLI's API URL and the operator's list. */
export const egressTargets = (apiBaseUrl: string | undefined, extra: readonly string[] = []) => {
  const url = new URL(apiBaseUrl || 'https://api.anthropic.com')
  const port = url.port || (url.protocol === 'http:' ? '80' : '443')
  return [...new Set([`${url.hostname}:${port}`, ...extra])]
}

/** The proxy's socket, in the work directory unless that path is too long for a UNIX socket. */
export const egressSocketPath = (workDir: string) => {
  const path = join(workDir, 'egress.sock')
  return path.length <= 100 ? path : join(tmpdir(), `cca-egress-${process.pid}.sock`)
}

export type EgressProxy = ReturnType<typeof createEgressProxy>

export const createEgressProxy = (options: {
  socketPath: string
  allow: readonly string[]
  logger: Logger
}) => {
  const allowed = new Set(options.allow)
  const refuse = (target: string) => {
    options.logger.warn('a sandboxed run tried to reach a host it may not', { target })
  }
  const server = createServer((req, res) => {
    let url: URL
    try {
      url = new URL(req.url ?? '')
    } catch {
      res.writeHead(400).end()
      return
    }
    const port = url.port || '80'
    if (url.protocol !== 'http:' || !allowed.has(`${url.hostname}:${port}`)) {
      refuse(`${url.hostname}:${port}`)
      res.writeHead(403).end('This host is not reachable from the sandbox')
      return
    }
    const upstream = httpRequest(
      {
        host: url.hostname,
        port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  server.on('connect', (req, socket, head) => {
    const target = req.url ?? ''
    const [host, port] = target.split(':')
    if (!allowed.has(target) || !host || !port) {
      refuse(target)
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(socket)
      socket.pipe(upstream)
    })
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  })

  let started: Promise<string> | undefined
  return {
    /** Listens (once); resolves with the socket's path. */
    start(): Promise<string> {
      started ??= (async () => {
        await mkdir(dirname(options.socketPath), { recursive: true, mode: 0o700 })
        await rm(options.socketPath, { force: true })
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(options.socketPath, resolve)
        })
        await chmod(options.socketPath, 0o600)
        return options.socketPath
      })()
      return started
    },
    async close() {
      if (!started) return
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(options.socketPath, { force: true })
    },
  }
}
