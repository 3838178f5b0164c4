/**
 * Just enough of the protobuf wire format to read OTLP's export requests (opentelemetry-proto
 * v1: trace, logs and metrics services), so the receiver reads what `http/protobuf` exporters
 * send as a collector would. Field numbers are the .proto files'.
 */

type Field = { number: number; wire: number; value: bigint | Uint8Array }

const readVarint = (bytes: Uint8Array, at: number): [bigint, number] => {
  let result = 0n
  let shift = 0n
  let pos = at
  for (;;) {
    const byte = bytes[pos++]
    if (byte === undefined) throw new Error('truncated varint')
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return [result, pos]
    shift += 7n
  }
}

const fixed = (bytes: Uint8Array, at: number, size: number) => {
  let value = 0n
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i] ?? 0)
  return value
}

export const fields = (bytes: Uint8Array): Field[] => {
  const out: Field[] = []
  let pos = 0
  while (pos < bytes.length) {
    const [key, next] = readVarint(bytes, pos)
    pos = next
    const number = Number(key >> 3n)
    const wire = Number(key & 7n)
    if (wire === 0) {
      const [value, after] = readVarint(bytes, pos)
      out.push({ number, wire, value })
      pos = after
    } else if (wire === 1) {
      out.push({ number, wire, value: fixed(bytes, pos, 8) })
      pos += 8
    } else if (wire === 5) {
      out.push({ number, wire, value: fixed(bytes, pos, 4) })
      pos += 4
    } else if (wire === 2) {
      const [length, after] = readVarint(bytes, pos)
      const end = after + Number(length)
      out.push({ number, wire, value: bytes.subarray(after, end) })
      pos = end
    } else throw new Error(`unsupported wire type ${wire}`)
  }
  return out
}

const text = (value: Field['value']) => new TextDecoder().decode(value as Uint8Array)
const hex = (value: Field['value']) => Buffer.from(value as Uint8Array).toString('hex')
const all = (bytes: Uint8Array, number: number) =>
  fields(bytes).filter((field) => field.number === number)
const one = (bytes: Uint8Array, number: number) => all(bytes, number).at(-1)?.value

/** `AnyValue` in OTLP/JSON's shape. */
const anyValue = (bytes: Uint8Array): Record<string, unknown> => {
  for (const field of fields(bytes)) {
    if (field.number === 1) return { stringValue: text(field.value) }
    if (field.number === 2) return { boolValue: field.value === 1n }
    if (field.number === 3) return { intValue: String(BigInt.asIntN(64, field.value as bigint)) }
    if (field.number === 4) {
      const buffer = new DataView(new ArrayBuffer(8))
      buffer.setBigUint64(0, field.value as bigint, true)
      return { doubleValue: buffer.getFloat64(0, true) }
    }
    if (field.number === 5) {
      return {
        arrayValue: {
          values: all(field.value as Uint8Array, 1).map((v) => anyValue(v.value as Uint8Array)),
        },
      }
    }
  }
  return {}
}

const keyValues = (bytes: Uint8Array, number: number) =>
  all(bytes, number).map((field) => {
    const kv = field.value as Uint8Array
    return {
      key: text(one(kv, 1) ?? new Uint8Array()),
      value: anyValue((one(kv, 2) as Uint8Array) ?? new Uint8Array()),
    }
  })

const resourceOf = (bytes: Uint8Array) => ({ attributes: keyValues(bytes, 1) })

const span = (bytes: Uint8Array) => {
  const status = one(bytes, 15) as Uint8Array | undefined
  return {
    traceId: hex(one(bytes, 1) ?? new Uint8Array()),
    spanId: hex(one(bytes, 2) ?? new Uint8Array()),
    parentSpanId: hex(one(bytes, 4) ?? new Uint8Array()),
    name: text(one(bytes, 5) ?? new Uint8Array()),
    kind: Number(one(bytes, 6) ?? 0n),
    startTimeUnixNano: String(one(bytes, 7) ?? 0n),
    endTimeUnixNano: String(one(bytes, 8) ?? 0n),
    attributes: keyValues(bytes, 9),
    events: all(bytes, 11).map((field) => ({
      name: text(one(field.value as Uint8Array, 2) ?? new Uint8Array()),
      attributes: keyValues(field.value as Uint8Array, 3),
    })),
    status: status
      ? { code: Number(one(status, 3) ?? 0n), message: text(one(status, 2) ?? new Uint8Array()) }
      : {},
  }
}

/** `ExportTraceServiceRequest` as OTLP/JSON writes it. */
export const decodeTraces = (bytes: Uint8Array) => ({
  resourceSpans: all(bytes, 1).map((rs) => ({
    resource: resourceOf((one(rs.value as Uint8Array, 1) as Uint8Array) ?? new Uint8Array()),
    scopeSpans: all(rs.value as Uint8Array, 2).map((ss) => ({
      spans: all(ss.value as Uint8Array, 2).map((s) => span(s.value as Uint8Array)),
    })),
  })),
})

/** `ExportLogsServiceRequest`: each record's ids, body and attributes. */
export const decodeLogs = (bytes: Uint8Array) => ({
  resourceLogs: all(bytes, 1).map((rl) => ({
    resource: resourceOf((one(rl.value as Uint8Array, 1) as Uint8Array) ?? new Uint8Array()),
    scopeLogs: all(rl.value as Uint8Array, 2).map((sl) => ({
      logRecords: all(sl.value as Uint8Array, 2).map((r) => {
        const record = r.value as Uint8Array
        return {
          timeUnixNano: String(one(record, 1) ?? 0n),
          body: anyValue((one(record, 5) as Uint8Array) ?? new Uint8Array()),
          attributes: keyValues(record, 6),
          traceId: hex(one(record, 9) ?? new Uint8Array()),
          spanId: hex(one(record, 10) ?? new Uint8Array()),
        }
      }),
    })),
  })),
})

/** `ExportMetricsServiceRequest`: the metrics' names. */
export const decodeMetrics = (bytes: Uint8Array) => ({
  resourceMetrics: all(bytes, 1).map((rm) => ({
    scopeMetrics: all(rm.value as Uint8Array, 2).map((sm) => ({
      metrics: all(sm.value as Uint8Array, 2).map((m) => ({
        name: text(one(m.value as Uint8Array, 1) ?? new Uint8Array()),
      })),
    })),
  })),
})
