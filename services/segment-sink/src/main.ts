import 'reflect-metadata';
import { loadConfigOrExit, runService } from '@touchstream/platform';
import { SegmentSinkAppModule, SERVICE_NAME } from './app.module';
import { segmentSinkConfigSchema } from './config';

const config = loadConfigOrExit(segmentSinkConfigSchema, SERVICE_NAME);
void runService(SegmentSinkAppModule.register(config), { service: SERVICE_NAME, port: config.SINK_PORT, host: config.HOST });
