/**
 * /openapi.json, generated from the routes' descriptions and valibot schemas, and /docs (Swagger
 * UI). The spec declares both ways to send a key, so Swagger UI's Authorize button works on a
 * server with keys; a key typed there is kept for the page's life only, never in the browser's
 * storage, and the page runs under a Content Security Policy: its one inline script by hash,
 * scripts and styles from where its assets are, requests to this server only.
 */
import { swaggerUI } from '@hono/swagger-ui'
import { type Env, Hono, type MiddlewareHandler } from 'hono'
import { openAPIRouteHandler } from 'hono-openapi'
import { VERSION } from '../lib/version.js'

export type DocsOptions = {
  /**
   * Where Swagger UI's assets load from (`<url>/swagger-ui-dist/…`); default a public CDN, at
   * the version this package pins (`SWAGGER_UI_VERSION`), never whatever is newest there.
   */
  assetsUrl?: string
}

/** The swagger-ui-dist version the package depends on (a unit test keeps them equal). */
export const SWAGGER_UI_VERSION = '5.35.0'

/** Marks a route that needs no key (the spec's default is that every route needs one). */
export const PUBLIC_ROUTE = { security: [] }

const CDN = 'https://cdn.jsdelivr.net'

const sha256 = async (text: string) => {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return btoa(String.fromCharCode(...new Uint8Array(digest)))
}

/** The policy for the page Swagger UI's handler made: its inline scripts allowed by their hash. */
const docsPolicy =
  (assetsUrl: string | undefined): MiddlewareHandler =>
  async (c, next) => {
    await next()
    const html = await c.res.clone().text()
    const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '')
    const hashes = await Promise.all(inline.map(async (s) => `'sha256-${await sha256(s)}'`))
    const assets =
      assetsUrl === undefined ? CDN : URL.canParse(assetsUrl) ? new URL(assetsUrl).origin : ''
    const from = ["'self'", assets].filter(Boolean).join(' ')
    c.res.headers.set(
      'content-security-policy',
      [
        "default-src 'none'",
        `script-src ${from} ${hashes.join(' ')}`,
        // Swagger UI sets styles from its script.
        `style-src ${from} 'unsafe-inline'`,
        `img-src ${from} data:`,
        `font-src ${from}`,
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; ')
    )
    c.res.headers.set('referrer-policy', 'no-referrer')
    c.res.headers.set('x-content-type-options', 'nosniff')
  }

export const createDocsRoutes = <E extends Env>(app: Hono<E>, { assetsUrl }: DocsOptions = {}) =>
  new Hono<E>()
    .get(
      '/openapi.json',
      openAPIRouteHandler(app, {
        documentation: {
          info: {
            title: 'Claude Code API',
            version: VERSION,
            description: 'Claude models through the Claude Code CLI, behind a clean HTTP API.',
          },
          components: {
            securitySchemes: {
              bearer: {
                type: 'http',
                scheme: 'bearer',
                description: 'An API key (`cca_…`) as `Authorization: Bearer <key>`.',
              },
              apiKey: {
                type: 'apiKey',
                in: 'header',
                name: 'x-api-key',
                description: 'An API key in `x-api-key`, as the Anthropic SDK sends it.',
              },
            },
          },
          // Either scheme; a server without keys ignores both.
          security: [{ bearer: [] }, { apiKey: [] }],
        },
        exclude: ['/openapi.json', '/docs'],
        defaultValidationErrorResponse: false,
      })
    )
    .get(
      '/docs',
      docsPolicy(assetsUrl),
      swaggerUI({
        url: '/openapi.json',
        persistAuthorization: false,
        ...(assetsUrl === undefined ? { version: SWAGGER_UI_VERSION } : { baseUrl: assetsUrl }),
      })
    )
