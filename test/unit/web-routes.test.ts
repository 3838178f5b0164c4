/**
 * The chat page's routes and the native `history` field, on the app with a fake runner: public
 * files, security headers, nothing but the built files, and history passed on as turns.
 */
import { describe, expect, it } from 'vitest'
import { createFakeRunner } from '../../dev-tools/fake-runner.js'
import { createApp, type WebAssets } from '../../src/app.js'
import { hashKey } from '../../src/auth/keys.js'
import { staticKeySource } from '../../src/auth/middleware.js'
import { silentLogger } from '../../src/lib/logger.js'

const KEY = 'cca_0123456789abcdef0123456789abcdef'
const files: Record<string, string> = {
  'chat.html': '<!doctype html><title>chat</title>',
  'chat-0123456789.js': 'console.log(1)',
  'chat-abcdef0123.css': 'body{}',
}
const encoder = new TextEncoder()
const assets: WebAssets = {
  read: async (name) => (name in files ? encoder.encode(files[name]) : null),
}

const setup = async (webAssets: WebAssets = assets) => {
  const fake = createFakeRunner()
  const keys = staticKeySource([{ hash: await hashKey(KEY), name: 'k', created: '', policy: {} }])
  const app = createApp({ runner: fake.runner, logger: silentLogger, keys, webAssets })
  return { ...fake, app }
}

describe('the chat page routes', () => {
  it('serve the page and its hashed files without a key, with a strict policy', async () => {
    const { app } = await setup()
    const page = await app.request('/chat')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    const script = await app.request('/chat/assets/chat-0123456789.js')
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(script.headers.get('cache-control')).toContain('immutable')
    expect(await script.text()).toBe('console.log(1)')
    const style = await app.request('/chat/assets/chat-abcdef0123.css')
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8')
  })

  it('serve nothing else: other names, other folders, encoded dots', async () => {
    const { app } = await setup()
    for (const path of [
      '/chat/assets/chat.html',
      '/chat/assets/chat-9999999999.js',
      '/chat/assets/..%2f..%2fpackage.json',
      '/chat/assets/%2e%2e%2fchat.html',
      '/chat/assets/.api-keys',
    ]) {
      const res = await app.request(path)
      expect(res.status, path).toBe(404)
    }
    // The rest of the API still needs the key.
    expect((await app.request('/llm/models')).status).toBe(401)
  })

  it('say how to build the page when it is not built', async () => {
    const { app } = await setup({ read: async () => null })
    const res = await app.request('/chat')
    expect(res.status).toBe(404)
    expect((await res.json()).detail).toContain('npm run build')
  })

  it('GET / links to the page: HTML for a browser, JSON otherwise', async () => {
    const { app } = await setup()
    const html = await app.request('/', { headers: { accept: 'text/html' } })
    expect(await html.text()).toContain('href="/chat"')
    const json = await (await app.request('/')).json()
    expect(json.links).toMatchObject({ chat: '/chat', docs: '/docs' })
  })
})

describe('native history', () => {
  const post = (app: Awaited<ReturnType<typeof setup>>['app'], body: unknown) =>
    app.request('/llm/query', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify(body),
    })

  it('goes to the runner as earlier turns', async () => {
    const { app, requests } = await setup()
    const history = [
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Hello Ada.' },
    ]
    expect((await post(app, { prompt: 'Who am I?', history })).status).toBe(200)
    expect(requests[0]?.history).toEqual(history)
  })

  it('is refused with a session_id, and with a bad role', async () => {
    const { app, requests } = await setup()
    const withSession = await post(app, {
      prompt: 'x',
      history: [{ role: 'user', content: 'a' }],
      session_id: '1ed104ae-b9e7-4f76-b6c2-e3ba8a48d6de',
    })
    expect(withSession.status).toBe(422)
    expect((await withSession.json()).errors[0].field).toBe('history')
    const badRole = await post(app, { prompt: 'x', history: [{ role: 'system', content: 'a' }] })
    expect(badRole.status).toBe(422)
    expect(requests).toHaveLength(0)
  })
})

describe('/docs without assets of its own (the edge)', () => {
  it('loads Swagger UI from the CDN at the version the package pins', async () => {
    const { SWAGGER_UI_VERSION } = await import('../../src/http/openapi.js')
    const { createRequire } = await import('node:module')
    const installed = createRequire(import.meta.url)('swagger-ui-dist/package.json').version
    expect(SWAGGER_UI_VERSION).toBe(installed)
    const { setupApp } = await import('../helpers/fake-app.js')
    const html = await (await setupApp().app.request('/docs')).text()
    expect(html).toContain(`swagger-ui-dist@${SWAGGER_UI_VERSION}/swagger-ui-bundle.js`)
    expect(html).not.toMatch(/swagger-ui-dist\//)
  })
})
