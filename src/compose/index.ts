/** Composition: models made of other models, with the same Model interface. */
export { defaultShouldFallback, type FallbackInfo, type FallbackOptions, fallback } from './fallback.ts';
export { type RouteOptions, route } from './route.ts';
