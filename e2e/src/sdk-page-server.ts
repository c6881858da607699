import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { REPO_ROOT } from '@touchstream/local-infra';

/** The built browser bundles @segment/analytics-next ships (dist/umd: index.js and its lazily loaded chunks). */
const BUNDLES = join(REPO_ROOT, 'node_modules', '@segment', 'analytics-next', 'dist', 'umd');

export interface SdkPageOptions {
  /** The write key the page's SDK sends (read when the page is served). */
  writeKey: () => string;
  /** Where the SDK sends: ingest's host, port and /v1, as the Segment.io integration's apiHost. */
  apiHost: () => string;
}

export interface SdkPageServer {
  /** The page's origin, e.g. http://127.0.0.2:41234. */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * A web page of its own origin that loads Segment's browser SDK (@segment/analytics-next) from the
 * project's own dependencies, no CDN: the settings the CDN would serve are passed inline, the
 * Segment.io integration points at ingest, and the SDK's lazily loaded chunks come from here too.
 * `?strategy=batching` makes the SDK batch to /b; otherwise each call is its own keepalive POST.
 */
export async function startSdkPageServer(host: string, options: SdkPageOptions): Promise<SdkPageServer> {
  let origin = '';
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname.startsWith('/analytics-next/')) {
      const file = normalize(url.pathname.replace(/^\/analytics-next\/(bundles\/)?/, ''));
      if (file.startsWith('..') || file.includes('/')) return void response.writeHead(404).end();
      readFile(join(BUNDLES, file)).then(
        (body) => response.writeHead(200, { 'content-type': 'text/javascript' }).end(body),
        () => response.writeHead(404).end(),
      );
      return;
    }
    if (url.pathname === '/favicon.ico') return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(origin, options, url.searchParams.get('strategy')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function page(origin: string, options: SdkPageOptions, strategy: string | null): string {
  const segmentIo = {
    apiKey: options.writeKey(),
    apiHost: options.apiHost(),
    protocol: 'http',
    deliveryStrategy:
      strategy === 'batching'
        ? { strategy: 'batching', config: { size: 3, timeout: 200 } }
        : { strategy: 'standard', config: { keepalive: true } },
  };
  const settings = {
    writeKey: options.writeKey(),
    // The CDN's settings, inline: no request for them, and chunks from this page's server.
    cdnURL: origin,
    cdnSettings: {
      integrations: { 'Segment.io': segmentIo },
      plan: { track: { __default: { enabled: true } } },
      // The SDK's own telemetry to /v1/m, every time (its default samples it).
      metrics: { sampleRate: 1, flushTimer: 200 },
    },
  };
  const load = { integrations: { 'Segment.io': { apiHost: segmentIo.apiHost, protocol: 'http' } } };
  return `<!doctype html>
<html><head><title>touchstream SDK test page</title></head>
<body>
<script src="/analytics-next/index.js"></script>
<script>
  window.sdkReady = AnalyticsNext.AnalyticsBrowser.load(${JSON.stringify(settings)}, ${JSON.stringify(load)})
    .then(([analytics]) => { window.analytics = analytics; return analytics.user().anonymousId(); });
</script>
</body></html>`;
}
