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

/** IPv4 ranges that are not public unicast: [first address, prefix length]. */
const NOT_PUBLIC_V4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], // "this network" (0.0.0.0 reaches the loopback)
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared (carrier-grade NAT)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
]

/** A dotted-quad IPv4 address as a 32-bit number (only the plain form: lookup returns it so). */
const v4Number = (address: string) => {
  const parts = address.split('.')
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    return undefined
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

const inV4Range = (n: number, [first, bits]: [string, number]) => {
  const size = 2 ** (32 - bits)
  const start = v4Number(first) as number
  return n >= start && n < start + size
}

/** An IPv6 address as eight 16-bit groups (`::` and a trailing dotted quad expanded). */
const v6Groups = (address: string): number[] | undefined => {
  let text = address.toLowerCase()
  const zone = text.indexOf('%')
  if (zone >= 0) text = text.slice(0, zone)
  const quad = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)
  if (quad?.[1]) {
    const n = v4Number(quad[1])
    if (n === undefined) return undefined
    text = `${text.slice(0, -quad[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (half: string | undefined) => (half ? half.split(':') : [])
  const head = parse(halves[0])
  const tail = parse(halves[1])
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0
  const groups = [...head, ...Array(Math.max(fill, 0)).fill('0'), ...tail]
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined
  return groups.map((g) => Number.parseInt(g, 16))
}

/** The IPv4 address in groups 6 and 7. */
const embeddedV4 = (g: number[]) => {
  const [high = 0, low = 0] = g.slice(6)
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
}

const isPublicV6 = (g: number[]): boolean => {
  const [a = 0, b = 0, c = 0] = g
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0)
  // IPv4-mapped (::ffff:a.b.c.d) and -compatible (::a.b.c.d, :: and ::1 among them): the IPv4
  // address decides. NAT64 (64:ff9b::/96) too; the local-use NAT64 prefix is never public.
  if (zeros(5) && g[5] === 0xffff) return isPublicAddress(embeddedV4(g))
  if (zeros(6)) return isPublicAddress(embeddedV4(g))
  if (a === 0x64 && b === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return isPublicAddress(embeddedV4(g))
  }
  if (a === 0x64 && b === 0xff9b && c === 1) return false
  // 6to4 (2002::/16) carries an IPv4 address in groups 1 and 2.
  if (a === 0x2002) return isPublicAddress(`${b >> 8}.${b & 255}.${c >> 8}.${c & 255}`)
  // Public unicast is 2000::/3, less Teredo and the IETF's (2001::/23) and documentation's.
  if ((a & 0xe000) !== 0x2000) return false
  if (a === 0x2001 && b < 0x200) return false
  if (a === 0x2001 && b === 0xdb8) return false
  if (a === 0x3fff && b < 0x1000) return false // documentation (RFC 9637)
  return true
}

/**
 * Whether an address (as a resolver returns it) is public unicast: not "this network",
 * loopback, private, shared, link-local, multicast, reserved or documentation space, in IPv4 or
 * IPv6, nor an IPv6 form that carries such an IPv4 address (mapped, compatible, NAT64, 6to4).
 * What is not an address at all is not public.
 */
export function isPublicAddress(address: string): boolean {
  const v4 = v4Number(address)
  if (v4 !== undefined) return !NOT_PUBLIC_V4.some((range) => inV4Range(v4, range))
  const groups = v6Groups(address.replace(/^\[|\]$/g, ''))
  return groups !== undefined && isPublicV6(groups)
}
