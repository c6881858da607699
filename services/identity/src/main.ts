import 'reflect-metadata';
import { loadConfigOrExit, runService } from '@touchstream/platform';
import { IdentityAppModule, MAX_PARAM_LENGTH, SERVICE_NAME } from './app.module';
import { identityConfigSchema } from './config';

const config = loadConfigOrExit(identityConfigSchema, SERVICE_NAME);
void runService(IdentityAppModule.register(config), {
  service: SERVICE_NAME,
  port: config.IDENTITY_PORT,
  host: config.HOST,
  maxParamLength: MAX_PARAM_LENGTH,
});
