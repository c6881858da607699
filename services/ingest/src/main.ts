import 'reflect-metadata';
import { loadConfigOrExit, runService } from '@touchstream/platform';
import { IngestAppModule, SERVICE_NAME } from './app.module';
import { ingestConfigSchema } from './config';

const config = loadConfigOrExit(ingestConfigSchema, SERVICE_NAME);
void runService(IngestAppModule.register(config), {
  service: SERVICE_NAME,
  port: config.INGEST_PORT,
  host: config.HOST,
  rawBody: true,
  // Bodies are read by ingest's own parser (its limit is INGEST_MAX_REQUEST_BYTES); this only
  // has to stay above it so that Fastify never answers first.
  bodyLimit: config.INGEST_MAX_REQUEST_BYTES * 2,
});
