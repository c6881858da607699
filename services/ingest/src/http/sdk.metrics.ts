import { MetricSet } from '@touchstream/platform';
import { Counter } from 'prom-client';

/** What the browser-facing front door adds to ingest's metrics: refused origins and the SDK's own telemetry. */
export class SdkMetrics extends MetricSet {
  private readonly originsRefused = new Counter({
    name: 'touchstream_ingest_origins_refused_total',
    help: 'Browser requests (and preflights) refused with 403 because their Origin is not in INGEST_CORS_ORIGINS',
    labelNames: ['kind'],
    registers: [],
  });
  private readonly telemetry = new Counter({
    name: 'touchstream_ingest_sdk_telemetry_requests_total',
    help: "Requests to /v1/m, the browser SDK's own telemetry: answered 200 and discarded",
    registers: [],
  });

  originRefused(kind: 'preflight' | 'request'): void {
    this.originsRefused.inc({ kind });
  }

  telemetryReceived(): void {
    this.telemetry.inc();
  }
}
