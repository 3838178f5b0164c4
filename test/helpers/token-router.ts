/**
 * One API address in front of several mocks, each for one login: a request goes to the mock
 * whose token it carries, and one with any other token to the `*` mock (which refuses it, if it
 * too accepts one token only). So a server's CLI processes, which all have one
 * ANTHROPIC_BASE_URL, reach the mock of the login they were started with.
 */
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'

export type TokenRouter = { url: string; close(): Promise<void> }

/** `byToken` may change after the start (a mock's address known later); `*` takes any other. */
export const startTokenRouter = async (byToken: Record<string, string>): Promise<TokenRouter> => {
  const server = createServer((req, res) => {
    const token =
      (req.headers['x-api-key'] as string | undefined) ??
      String(req.headers.authorization ?? '').replace(/^Bearer /, '')
    const target = new URL(req.url ?? '/', byToken[token] ?? byToken['*'])
    const upstream = httpRequest(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
