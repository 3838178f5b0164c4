/** Which host names and addresses stay on this machine or its private network. */

/** Addresses only this machine can reach. */
export const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)

const PRIVATE_V4 = [
  /^10\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^169\.254\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
]

/**
 * Loopback, private (RFC 1918), link-local and carrier-grade NAT addresses, IPv6 unique-local and
 * link-local ones, and names that cannot be public: one label (`runner-a`, as in a compose file)
 * or a local suffix (`.local`, `.internal`, `.lan`, `.home.arpa`).
 */
export const isPrivateHost = (host: string) => {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (isLoopback(name)) return true
  if (PRIVATE_V4.some((range) => range.test(name))) return true
  if (/^f[cd][0-9a-f]{2}:/.test(name) || /^fe[89ab][0-9a-f]:/.test(name)) return true
  if (/^[\d.]+$/.test(name) || name.includes(':')) return false
  return !name.includes('.') || /\.(local|internal|lan|home\.arpa)$/.test(name)
}
