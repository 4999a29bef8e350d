/**
 * A call's ModelEvents as telemetry: each HTTP attempt (request -> response, retry or error) a
 * CLIENT child span of the call's span, and what the composites report (retries, fallbacks, cache,
 * queueing, circuit breakers, cost) as events on the call's span.
 */
import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import type { ModelEvent } from '../model.ts';
import { errorType, providerAndModel, serverAttributes } from './conventions.ts';

/** The attempt spans of one call and what its events said. */
export class CallEvents {
  readonly #tracer: Tracer;
  readonly #span: Span;
  readonly #parent: Context;
  /** The open attempt span of each logical request, by model id and request id. */
  readonly #attempts = new Map<string, Span>();
  /** `server.address` / `server.port` of the first request, for the call's span and metrics. */
  server: Attributes | undefined;
  /** The model of the member that took over in the last fallback (`gen_ai.response.model`). */
  fallbackModel: string | undefined;

  constructor(tracer: Tracer, span: Span, parent: Context) {
    this.#tracer = tracer;
    this.#span = span;
    this.#parent = parent;
  }

  /** Record one event; never throws (a failing listener must not fail the call it observes). */
  readonly observe = (event: ModelEvent): void => {
    try {
      this.#observe(event);
    } catch {
      // Telemetry is best effort.
    }
  };

  #observe(event: ModelEvent): void {
    switch (event.type) {
      case 'request': {
        const key = `${event.modelId}\0${event.requestId}`;
        this.#attempts.get(key)?.end();
        const server = serverAttributes(event.url);
        if (!this.server && server['server.address'] !== undefined) {
          this.server = server;
          this.#span.setAttributes(server);
        }
        const span = this.#tracer.startSpan(
          event.method,
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'http.request.method': event.method,
              'url.full': event.url,
              ...server,
              'mlkit.request_id': event.requestId,
              ...(event.attempt > 1 && { 'http.request.resend_count': event.attempt - 1 }),
            },
          },
          this.#parent,
        );
        this.#attempts.set(key, span);
        return;
      }
      case 'response': {
        const span = this.#attempts.get(`${event.modelId}\0${event.requestId}`);
        span?.setAttribute('http.response.status_code', event.status);
        if (span && event.status >= 400) fail(span, String(event.status), `HTTP ${event.status}`);
        return;
      }
      case 'retry': {
        const key = `${event.modelId}\0${event.requestId}`;
        const span = this.#attempts.get(key);
        if (span) {
          if (event.status === undefined) fail(span, '_OTHER', event.reason);
          span.end();
          this.#attempts.delete(key);
        }
        this.#span.addEvent('mlkit.retry', {
          'mlkit.model_id': event.modelId,
          'mlkit.request_id': event.requestId,
          'mlkit.retry.attempt': event.attempt,
          'mlkit.retry.delay_ms': event.delayMs,
          'mlkit.retry.reason': event.reason,
          ...(event.status !== undefined && { 'http.response.status_code': event.status }),
        });
        return;
      }
      case 'error': {
        const key = `${event.modelId}\0${event.requestId}`;
        const span = this.#attempts.get(key);
        if (span) {
          fail(span, errorType(event.error), event.error.message);
          span.end();
          this.#attempts.delete(key);
        }
        return;
      }
      case 'fallback':
        this.fallbackModel = providerAndModel(event.to).requestModel;
        this.#span.addEvent('mlkit.fallback', {
          'mlkit.fallback.from': event.from,
          'mlkit.fallback.to': event.to,
          'mlkit.fallback.reason': event.reason,
        });
        return;
      case 'cache-hit':
      case 'cache-miss':
        this.#span.addEvent(event.type === 'cache-hit' ? 'mlkit.cache.hit' : 'mlkit.cache.miss', {
          'mlkit.model_id': event.modelId,
        });
        return;
      case 'queued':
        this.#span.addEvent('mlkit.queued', {
          'mlkit.model_id': event.modelId,
          'mlkit.queue.position': event.position,
          'mlkit.queue.reason': event.reason,
        });
        return;
      case 'cost':
        this.#span.setAttribute('mlkit.usage.cost_usd', event.costUsd);
        return;
      case 'circuit-open':
        this.#span.addEvent('mlkit.circuit.open', {
          'mlkit.circuit.member': event.member,
          'mlkit.circuit.failures': event.failures,
          'mlkit.circuit.cooldown_ms': event.cooldownMs,
        });
        return;
      case 'circuit-half-open':
      case 'circuit-close':
        this.#span.addEvent(
          event.type === 'circuit-close' ? 'mlkit.circuit.close' : 'mlkit.circuit.half_open',
          {
            'mlkit.circuit.member': event.member,
          },
        );
        return;
      case 'circuit-skip':
        this.#span.addEvent('mlkit.circuit.skip', {
          'mlkit.circuit.member': event.member,
          'mlkit.circuit.retry_in_ms': event.retryInMs,
        });
        return;
      case 'result':
        return;
    }
  }

  /** End the attempt spans still open (the last attempt's body was read to its end with the call). */
  end(): void {
    for (const span of this.#attempts.values()) span.end();
    this.#attempts.clear();
  }
}

/** Mark a span failed, as the conventions record errors: status ERROR and `error.type`. */
export function fail(span: Span, type: string, message: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
