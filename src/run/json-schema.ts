/**
 * JSON Schemas that clients send for structured output, checked before a run is spent on them.
 * The validator accepts nonsense (`{"type": 5}`) silently and throws only when validating, so
 * the keywords that shape a schema are checked here, and a trial validation finds `$ref`s that
 * point nowhere.
 */
import { Validator } from '@cfworker/json-schema'
import { ValidationError } from '../errors/index.js'

const TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'string', 'integer'])
const SCHEMA_KEYWORDS = [
  'items',
  'additionalProperties',
  'additionalItems',
  'unevaluatedProperties',
  'unevaluatedItems',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
]
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems']
const COUNTS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties']
const NUMBERS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The first problem in a schema, as `path: problem`, or undefined. */
export const schemaProblem = (schema: unknown, path = '(schema)'): string | undefined => {
  if (typeof schema === 'boolean') return undefined
  if (!isObject(schema)) return `${path}: must be an object or a boolean`
  const type = schema.type
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type]
    if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) {
      return `${path}.type: must be one of ${[...TYPES].join(', ')} (or a list of them)`
    }
  }
  if (schema.required !== undefined) {
    const required = schema.required
    if (!Array.isArray(required) || !required.every((r) => typeof r === 'string')) {
      return `${path}.required: must be a list of property names`
    }
  }
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) {
    return `${path}.enum: must be a list`
  }
  if (schema.$ref !== undefined && typeof schema.$ref !== 'string') {
    return `${path}.$ref: must be a string`
  }
  for (const key of COUNTS) {
    const value = schema[key]
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0)) {
      return `${path}.${key}: must be a whole number of at least 0`
    }
  }
  for (const key of NUMBERS) {
    if (schema[key] !== undefined && typeof schema[key] !== 'number') {
      return `${path}.${key}: must be a number`
    }
  }
  for (const key of SCHEMA_KEYWORDS) {
    const value = schema[key]
    if (value === undefined) continue
    // Tuple form of `items` (before 2020-12): a list of schemas.
    const list = key === 'items' && Array.isArray(value) ? value : [value]
    for (const [i, item] of list.entries()) {
      const problem = schemaProblem(
        item,
        Array.isArray(value) ? `${path}.${key}.${i}` : `${path}.${key}`
      )
      if (problem) return problem
    }
  }
  for (const key of SCHEMA_MAPS) {
    const value = schema[key]
    if (value === undefined) continue
    if (!isObject(value)) return `${path}.${key}: must be an object of schemas`
    for (const [name, item] of Object.entries(value)) {
      const problem = schemaProblem(item, `${path}.${key}.${name}`)
      if (problem) return problem
    }
  }
  for (const key of SCHEMA_LISTS) {
    const value = schema[key]
    if (value === undefined) continue
    if (!Array.isArray(value) || value.length === 0)
      return `${path}.${key}: must be a list of schemas`
    for (const [i, item] of value.entries()) {
      const problem = schemaProblem(item, `${path}.${key}.${i}`)
      if (problem) return problem
    }
  }
  return undefined
}

/** A validator for a client's schema; a schema that cannot work is a `ValidationError` on `field`. */
export const compileJsonSchema = (schema: Record<string, unknown>, field: string): Validator => {
  const refuse = (problem: string) =>
    new ValidationError(`${field}: not a usable JSON Schema (${problem})`, {
      errors: [{ field, message: `not a usable JSON Schema (${problem})` }],
    })
  const problem = schemaProblem(schema)
  if (problem) throw refuse(problem)
  const validator = new Validator(schema as never, '2020-12', false)
  try {
    validator.validate(null)
  } catch (error) {
    throw refuse(error instanceof Error ? (error.message.split('.')[0] ?? 'invalid') : 'invalid')
  }
  return validator
}
