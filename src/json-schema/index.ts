/**
 * `checkAgainstSchema`: a value checked against a JSON Schema (by @cfworker/json-schema) or a zod
 * schema, as every text-generation model checks tool-call arguments and json answers. An entry of its
 * own, so that the main entry never carries the validator: a text-generation call loads it only when
 * it has tools or a json answer to check.
 *
 * @module @mlkit/core/json-schema
 */
export { checkAgainstSchema, type SchemaCheck, type SchemaIssue } from '../tasks/json-schema-check.ts';
