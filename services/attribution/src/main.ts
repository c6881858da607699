import 'reflect-metadata';
import { loadConfigOrExit, runService } from '@touchstream/platform';
import { AttributionAppModule, MAX_PARAM_LENGTH, SERVICE_NAME } from './app.module';
import { attributionConfigSchema } from './config';

const config = loadConfigOrExit(attributionConfigSchema, SERVICE_NAME);
void runService(AttributionAppModule.register(config), {
  service: SERVICE_NAME,
  port: config.ATTRIBUTION_PORT,
  host: config.HOST,
  maxParamLength: MAX_PARAM_LENGTH,
});
