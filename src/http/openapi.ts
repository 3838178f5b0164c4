/**
 * /openapi.json, generated from the routes' descriptions and valibot schemas, and /docs (Swagger
 * UI). The spec declares both ways to send a key, so Swagger UI's Authorize button works on a
 * server with keys.
 */
import { swaggerUI } from '@hono/swagger-ui'
import { type Env, Hono } from 'hono'
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
      swaggerUI({
        url: '/openapi.json',
        persistAuthorization: true,
        ...(assetsUrl === undefined ? { version: SWAGGER_UI_VERSION } : { baseUrl: assetsUrl }),
      })
    )
