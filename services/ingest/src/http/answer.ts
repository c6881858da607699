import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Tracing } from '@touchstream/platform';
import type { Ingestor, IngestRequest } from '../core/ingestor';

/**
 * Runs a request through the ingestor and sends its answer, in a SERVER span when tracing is on
 * (the span ends once the answer is sent; a NO_TRACING span does nothing).
 */
export async function answerIngest(
  ingestor: Ingestor,
  tracing: Tracing,
  request: FastifyRequest,
  reply: FastifyReply,
  ingestRequest: Omit<IngestRequest, 'published'>,
): Promise<void> {
  const traceparent = request.headers.traceparent;
  const span = tracing.serverRequest({
    method: request.method,
    route: request.routeOptions.url ?? request.url,
    path: request.url.split('?', 1)[0] ?? request.url,
    scheme: request.protocol,
    traceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent,
  });
  let status = 500;
  try {
    const answer = await ingestor.ingest({ ...ingestRequest, published: span.published });
    status = answer.status;
    await reply.status(answer.status).headers(answer.headers).send(answer.body);
  } finally {
    span.end(status);
  }
}
