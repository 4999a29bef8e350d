// Media URLs in requests (server-side request forgery): fetched only for allowed hosts, within
// size and time limits, redirects re-checked, non-public addresses refused unless listed exactly;
// data: URLs always read; a local model gets bytes, a hosted one the allowed URL.
import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChatMessage, defineModel, textGeneration } from '@mlkit/core';
import { createServer, type ServerOptions } from '@mlkit/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaFetcher, MediaUrls } from '../src/media-urls.ts';
import { fakeClassifier, png } from './vision-models.ts';

/** An image host on 127.0.0.1 that counts its requests. */
let host: Server;
let origin: string;
let hits: string[];
const image = png(24);

beforeEach(async () => {
  hits = [];
  host = createHttpServer((req, res) => {
    hits.push(req.url!);
    const port = (host.address() as AddressInfo).port;
    if (req.url === '/cat.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': image.byteLength });
      res.end(image);
    } else if (req.url === '/big.png') {
      // No Content-Length: the limit must hold while the body streams.
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(png(100));
      res.end(new Uint8Array(400));
    } else if (req.url === '/huge.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 1_000_000 });
      res.end();
    } else if (req.url === '/redirect-away') {
      res.writeHead(302, { location: `http://localhost:${port}/cat.png` });
      res.end();
    } else if (req.url === '/redirect-here') {
      res.writeHead(302, { location: '/cat.png' });
      res.end();
    } else if (req.url === '/slow.png') {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(image);
      }, 2_000).unref();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  host.listen(0, '127.0.0.1');
  await once(host, 'listening');
  origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
});
afterEach(() => {
  host.closeAllConnections();
  host.close();
});

function setup(options: Partial<ServerOptions> = {}, local = true) {
  const classifier = fakeClassifier({ local });
  const server = createServer({ models: { vit: classifier.model }, batching: false, ...options });
  const predict = (inputs: unknown) =>
    server.fetch(
      new Request('http://mlkit.test/predict/vit', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs }),
      }),
    );
  return { server, classifier, predict };
}

const allow = (extra: Partial<MediaUrls> = {}) => ({ mediaUrls: { allowHosts: ['127.0.0.1'], ...extra } });

describe('media URLs, off by default', () => {
  it('refuses an http URL with a 400 naming mediaUrls.allowHosts; no request reaches the host', async () => {
    const { predict, classifier } = setup();
    const response = await predict(`${origin}/cat.png`);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/mediaUrls: \{ allowHosts: \['127\.0\.0\.1'\] \}/);
    expect(hits).toEqual([]);
    expect(classifier.seen).toEqual([]);
  });

  it('refuses a URL inside an OIP BYTES tensor the same way', async () => {
    const { server } = setup();
    const response = await server.fetch(
      new Request('http://mlkit.test/v2/models/vit/infer', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [`${origin}/cat.png`] }],
        }),
      }),
    );
    expect(response.status).toBe(400);
    expect(hits).toEqual([]);
  });

  it('passes a data: URL on as it is, with nothing fetched', async () => {
    const { predict, classifier } = setup();
    const url = `data:image/png;base64,${Buffer.from(png(18)).toString('base64')}`;
    const response = await predict(url);
    expect(response.status).toBe(200);
    expect(classifier.seen).toEqual([url]);
    expect(hits).toEqual([]);
  });

  it('refuses a data: URL that does not decode', async () => {
    const { predict } = setup();
    const response = await predict('data:image/png;base64,@@@');
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/does not decode/);
  });

  it('refuses a data: URL over mediaUrls.maxBytes with 413', async () => {
    const { predict } = setup({ mediaUrls: { maxBytes: 16 } });
    const response = await predict(`data:image/png;base64,${Buffer.from(png(64)).toString('base64')}`);
    expect(response.status).toBe(413);
  });
});

describe('media URLs of allowed hosts', () => {
  it('fetches the file itself and hands the model its bytes, never the URL', async () => {
    const { predict, classifier } = setup(allow());
    const response = await predict(`${origin}/cat.png`);
    expect(response.status).toBe(200);
    expect((await response.json())[0]).toEqual({ label: 'png-24', score: 0.75 });
    expect(hits).toEqual(['/cat.png']);
    expect([...(classifier.seen[0] as Uint8Array)]).toEqual([...image]);
  });

  it('follows a redirect on the same allowed host', async () => {
    const { predict } = setup(allow());
    expect((await predict(`${origin}/redirect-here`)).status).toBe(200);
    expect(hits).toEqual(['/redirect-here', '/cat.png']);
  });

  it('refuses a redirect to a host that is not allowed, without requesting it', async () => {
    const { predict } = setup(allow());
    const response = await predict(`${origin}/redirect-away`);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/"localhost"/);
    expect(hits).toEqual(['/redirect-away']);
  });

  it('refuses redirects altogether with maxRedirects 0', async () => {
    const { predict } = setup(allow({ maxRedirects: 0 }));
    expect((await predict(`${origin}/redirect-here`)).status).toBe(400);
    expect(hits).toEqual(['/redirect-here']);
  });

  it('answers 413 for a file over maxBytes, by Content-Length or while streaming', async () => {
    const { predict } = setup(allow({ maxBytes: 64 }));
    expect((await predict(`${origin}/huge.png`)).status).toBe(413);
    const streamed = await predict(`${origin}/big.png`);
    expect(streamed.status).toBe(413);
    expect((await streamed.json()).error).toMatch(/mediaUrls\.maxBytes \(64\)/);
  });

  it('gives up on a slow host after timeoutMs with an error naming the option', async () => {
    const { predict, classifier } = setup(allow({ timeoutMs: 50 }));
    const response = await predict(`${origin}/slow.png`);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/mediaUrls\.timeoutMs \(50 ms\)/);
    expect(classifier.seen).toEqual([]);
  });

  it('names the status of a host that answers an error', async () => {
    const { predict } = setup(allow());
    const response = await predict(`${origin}/missing.png`);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/HTTP 404/);
  });

  it('passes an allowed URL on to a hosted model as it is, fetching nothing', async () => {
    const { predict, classifier } = setup(allow(), false);
    expect((await predict(`${origin}/cat.png`)).status).toBe(200);
    expect(classifier.seen).toEqual([`${origin}/cat.png`]);
    expect(hits).toEqual([]);
  });

  it('refuses a URL that is not allowed for a hosted model too', async () => {
    const { predict } = setup({}, false);
    expect((await predict(`${origin}/cat.png`)).status).toBe(400);
    expect(hits).toEqual([]);
  });
});

describe('chat image parts for a local model', () => {
  function chatServer(options: Partial<ServerOptions>) {
    const seen: ChatMessage[][] = [];
    const model = defineModel({
      id: 'fake:vlm',
      task: textGeneration,
      capabilities: { streaming: false, batching: false, local: true, images: true },
      async run(input) {
        seen.push('messages' in input ? input.messages : []);
        return { text: 'a cat', finishReason: 'stop', usage: {} };
      },
    });
    const server = createServer({ models: { vlm: model }, ...options });
    const chat = (url: string) =>
      server.fetch(
        new Request('http://mlkit.test/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'vlm',
            messages: [
              {
                role: 'user',
                content: [
                  { type: 'text', text: 'what is this?' },
                  { type: 'image_url', image_url: { url } },
                ],
              },
            ],
          }),
        }),
      );
    return { seen, chat };
  }

  it('refuses an image_url the options do not allow', async () => {
    const { chat, seen } = chatServer({});
    const response = await chat(`${origin}/cat.png`);
    expect(response.status).toBe(400);
    expect(hits).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('hands the model the fetched bytes and their media type', async () => {
    const { chat, seen } = chatServer(allow());
    expect((await chat(`${origin}/cat.png`)).status).toBe(200);
    const part = (seen[0]![0]!.content as { type: string; image?: unknown; mediaType?: string }[])[1]!;
    expect(part.image).toBeInstanceOf(Uint8Array);
    expect(part.mediaType).toBe('image/png');
  });
});

describe('addresses behind allowed host patterns', () => {
  const fetcher = (addresses: string[], allowHosts = ['*.example.test']) =>
    new MediaFetcher(MediaUrls.parse({ allowHosts }), async () => addresses);

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['::1', 'loopback'],
    ['::ffff:192.168.0.1', 'private'],
    ['fd00::1', 'uniqueLocal'],
  ])('refuses a name that resolves to %s (%s)', async (address, range) => {
    await expect(
      fetcher([address]).check(new URL('http://img.example.test/a.png'), 'input.image'),
    ).rejects.toThrow(new RegExp(`${range} address`));
  });

  it('accepts a name that resolves to public addresses only', async () => {
    await expect(
      fetcher(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']).check(
        new URL('https://img.example.test/a.png'),
        'input.image',
      ),
    ).resolves.toBeUndefined();
  });

  it('refuses a name with one private address among public ones', async () => {
    await expect(
      fetcher(['93.184.215.14', '10.0.0.1']).check(new URL('https://img.example.test/a.png'), 'input.image'),
    ).rejects.toThrow(/private/);
  });

  it('does not take a pattern for the bare domain or a lookalike', async () => {
    const check = (url: string) => fetcher(['93.184.215.14']).check(new URL(url), 'input.image');
    await expect(check('https://evilexample.test/a.png')).rejects.toThrow(/does not fetch/);
  });
});
