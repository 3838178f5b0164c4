/** Global setup: the chat page's files (dist/web), as `npm run build` makes them. */
import { buildWeb } from '../../scripts/build-web.js'

export default async function setup() {
  await buildWeb()
}
