import { parentPort } from 'node:worker_threads';
import { processRecords } from './process-records';
import { packValues, type WorkerRequest, type WorkerResponse } from './processor';

/** Entry point of a processing worker (see WorkerPoolProcessor). */
parentPort?.on('message', (request: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    const packed = packValues(processRecords(request.records, request.context));
    response = { id: request.id, ok: true, packed };
    parentPort?.postMessage(response, [packed.values.buffer as ArrayBuffer]);
  } catch (error) {
    response = { id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    parentPort?.postMessage(response);
  }
});
