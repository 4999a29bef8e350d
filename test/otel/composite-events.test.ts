// instrument() on composites: cache hits and circuit-breaker changes as events on the call's span,
// as the README's OpenTelemetry section says.
import { describe, expect, it } from 'vitest';
import { cache, fallback } from '../../src/index.ts';
import { instrument } from '../../src/otel/index.ts';
import { failingModel, fixedModel } from '../compose/models.ts';
import { telemetry } from './telemetry.ts';

const eventNames = (span: { events: { name: string }[] }) => span.events.map((event) => event.name);

describe('instrument: cache and circuit events on the call span', () => {
  it('records a cache miss on the first call and a cache hit on the same call again', async () => {
    const otel = telemetry();
    const { model: local, calls } = fixedModel('onnx:tiny-gpt', 'Hi');
    const cached = instrument(cache(local), otel);
    await cached.run({ prompt: 'Hello', temperature: 0 });
    await cached.run({ prompt: 'Hello', temperature: 0 });
    const [first, second] = await otel.spans();
    expect(calls()).toBe(1);
    expect(eventNames(first!)).toContain('mlkit.cache.miss');
    expect(eventNames(second!)).toContain('mlkit.cache.hit');
  });

  it('records the circuit opening on the failing member, then skipping it on the next call', async () => {
    const otel = telemetry();
    const { model: primary } = failingModel('openai:gpt-4o-mini', () => new Error('down'));
    const { model: local } = fixedModel('onnx:tiny-gpt', 'Hi');
    const both = instrument(
      fallback([primary, local], { circuit: { failureThreshold: 1, cooldownMs: 60_000 } }),
      {
        ...otel,
        requestModel: 'gpt-4o-mini',
      },
    );
    await both.run({ prompt: 'Hello' });
    await both.run({ prompt: 'Hello' });
    const [first, second] = await otel.spans();
    const open = first!.events.find((event) => event.name === 'mlkit.circuit.open');
    expect(open?.attributes).toMatchObject({
      'mlkit.circuit.failures': 1,
      'mlkit.circuit.cooldown_ms': 60_000,
    });
    expect(eventNames(second!)).toContain('mlkit.circuit.skip');
  });
});
