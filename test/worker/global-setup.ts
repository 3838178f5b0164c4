/**
 * For the workerd tests, in Node: the mock Messages API and a runner host on 127.0.0.1 driving
 * the real CLI, plus the URL of a host that is down, and a runner host of its own process that a
 * test kills and starts again through a small control server (a worker cannot send signals).
 * Their addresses reach the tests through `provide`/`inject` and the worker's bindings.
 */
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { cliEnv, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type CliProcess, startRunnerProcess } from '../../dev-tools/cli-process.js'
import { startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { startOtlpReceiver } from '../../dev-tools/otlp-receiver/server.js'
import { buildWeb } from '../../scripts/build-web.js'
import { hashKey } from '../../src/auth/keys.js'
import { startRunnerHost } from '../../src/runtime/node/entry.js'
import { createLoginStore } from '../../src/runtime/node/logins/login-store.js'

export const TOKEN = 'runner-token-for-tests'
export const KEY = 'cca_5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e'
/** The token of the login the runner host holds by the name `edge` (its calls carry it). */
export const EDGE_LOGIN_TOKEN = 'sk-ant-oat01-edge-login-c3f1a9d27e'

/** A loopback URL where nothing listens. */
const deadUrl = async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

export default async function setup(project: TestProject) {
  // The static-assets binding serves dist/web (wrangler.jsonc).
  await buildWeb()
  const mock = await startMockAnthropic()
  const receiver = await startOtlpReceiver()
  const home = await tempDir('worker')
  // The host holds one key login by name; the front door at the edge passes only the name.
  const loginsFile = join(home, 'logins')
  await createLoginStore({ file: loginsFile, secret: { file: `${loginsFile}.secret` } }).add(
    'edge',
    EDGE_LOGIN_TOKEN
  )
  const host = await startRunnerHost({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    logLevel: 'silent',
    workDir: join(home, 'work'),
    loginsFile,
    runnerOptions: { env: cliEnv(home, mock.url), killGraceMs: 1_000 },
    // The host traces: a request through the edge joins the client's trace here.
    otelEnv: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'cca-host',
      OTEL_BSP_SCHEDULE_DELAY: '20',
    },
  })
  // The killable host: POST /kill (SIGKILL), POST /start (again, on its port).
  const killableEnv = {
    ...cliEnv(join(home, 'killable'), mock.url),
    CLAUDE_WORK_DIR: join(home, 'killable', 'work'),
  }
  let killable: CliProcess = await startRunnerProcess({ env: killableEnv, token: TOKEN })
  const control = createHttpServer((req, res) => {
    const act =
      req.url === '/kill'
        ? killable.kill('SIGKILL')
        : startRunnerProcess({ env: killableEnv, token: TOKEN, port: killable.port }).then(
            (started) => {
              killable = started
            }
          )
    void act.then(
      () => res.end('ok'),
      (error) => {
        res.statusCode = 500
        res.end(String(error))
      }
    )
  })
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve))
  project.provide('killableUrl', killable.url)
  project.provide('controlUrl', `http://127.0.0.1:${(control.address() as { port: number }).port}`)
  project.provide('runnerUrl', host.url)
  project.provide('mockUrl', mock.url)
  project.provide('otlpUrl', receiver.url)
  project.provide('deadUrl', await deadUrl())
  project.provide('keyHash', await hashKey(KEY))
  project.provide('edgeLoginToken', EDGE_LOGIN_TOKEN)
  return async () => {
    control.close()
    await killable.kill('SIGKILL')
    await host.close()
    await mock.close()
    await receiver.close()
    await removeDir(home)
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    runnerUrl: string
    mockUrl: string
    otlpUrl: string
    deadUrl: string
    keyHash: string
    killableUrl: string
    controlUrl: string
    edgeLoginToken: string
  }
}
