/** Composition: models made of other models, with the same Model interface. */
export { agreementOf } from './agreement.ts';
export {
  type CacheEntry,
  type CacheOptions,
  type CacheStore,
  cache,
  canonicalJson,
  memoryStore,
} from './cache.ts';
export type { CircuitOptions } from './circuit.ts';
export { defaultShouldFallback, type FallbackInfo, type FallbackOptions, fallback } from './fallback.ts';
export { type LimitOptions, limit } from './limit.ts';
export type { TaskOf } from './members.ts';
export {
  type BreakEven,
  breakEven,
  costOf,
  type MeteredModel,
  type MeteredSide,
  type MeterTotals,
  meter,
  Pricing,
} from './meter.ts';
export { type RouteOptions, route } from './route.ts';
export { type ShadowOptions, type ShadowReport, type ShadowSide, shadow } from './shadow.ts';
export { type Middleware, wrap } from './wrap.ts';
