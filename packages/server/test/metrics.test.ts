import { createServer } from '@mlkit/server';
import { describe, expect, it } from 'vitest';
import { fakeChatModel, fakeClassifier, get, postJson } from './fakes.ts';

describe('GET /metrics', () => {
  it('exposes requests, errors, latency, queue depth, batch sizes and tokens in Prometheus text format', async () => {
    const server = createServer({
      models: { iris: fakeClassifier().model, gpt: fakeChatModel().model },
      batching: { windowMs: 50, maxBatch: 8 },
    });
    await Promise.all([
      postJson(server, '/predict/iris', { data: [1, 2, 3, 4] }),
      postJson(server, '/predict/iris', {
        data: [
          [1, 2, 3, 4],
          [4, 3, 2, 1],
        ],
      }),
    ]);
    await postJson(server, '/predict/nope', { data: [1] });
    await postJson(server, '/v1/chat/completions', {
      model: 'gpt',
      messages: [{ role: 'user', content: 'a b c' }],
    });

    const response = await get(server, '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();

    expect(text).toContain('# TYPE mlkit_http_requests_total counter');
    expect(text).toContain('mlkit_http_requests_total{route="/predict/:name",method="POST",status="200"} 2');
    expect(text).toContain(
      'mlkit_http_request_errors_total{route="/predict/:name",method="POST",status="404"} 1',
    );
    expect(text).toContain('# TYPE mlkit_http_request_duration_seconds histogram');
    expect(text).toMatch(
      /mlkit_http_request_duration_seconds_bucket\{route="\/predict\/:name",le="\+Inf"\} 3/,
    );
    expect(text).toContain('mlkit_http_request_duration_seconds_count{route="/v1/chat/completions"} 1');
    expect(text).toContain('mlkit_queue_depth{model="iris"} 0');
    expect(text).toContain('mlkit_batch_requests_count{model="iris"} 1');
    expect(text).toContain('mlkit_batch_size_sum{model="iris"} 3');
    expect(text).toContain('mlkit_output_tokens_total{model="gpt"} 5');
    expect(text).toContain('mlkit_input_tokens_total{model="gpt"} 3');
    // Every sample line is `name{labels} value`.
    for (const line of text
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [-+0-9.eInf]+$/);
    }
  });

  it('labels unmatched routes as one series, so scanners cannot explode the label set', async () => {
    const server = createServer({ models: { iris: fakeClassifier().model } });
    await get(server, '/wp-admin');
    await get(server, '/.env');
    const text = await (await get(server, '/metrics')).text();
    expect(text).toContain('mlkit_http_requests_total{route="unmatched",method="GET",status="404"} 2');
    expect(text).not.toContain('wp-admin');
  });
});
