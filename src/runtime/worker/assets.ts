/** The web pages' files at the edge: from the static-assets binding (`dist/web`). */
import type { WebAssets } from '../../web/routes.js'

/** The part of the static-assets binding this uses. */
export type AssetsBinding = { fetch(request: Request): Promise<Response> }

/** The pages' files from the binding (`html_handling: none`: names as built). */
export const bindingAssets = (binding: AssetsBinding): WebAssets => ({
  read: async (name) => {
    const response = await binding.fetch(new Request(`https://assets.invalid/${name}`))
    if (response.ok) return response.body
    await response.body?.cancel()
    return null
  },
})
