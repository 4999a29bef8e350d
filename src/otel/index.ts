/**
 * @mlkit/core/otel — OpenTelemetry for mlkit models: spans and metrics named by the GenAI semantic
 * conventions (`gen_ai.*`), made from the events every layer emits. Needs `@opentelemetry/api`
 * (an optional peer dependency of @mlkit/core); nothing else in @mlkit/core imports it.
 *
 * @module @mlkit/core/otel
 */

export { type InstrumentOptions, instrument } from './instrument.ts';
