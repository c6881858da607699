import type { LoggerService } from '@nestjs/common';
import { describeError, type Logger } from '@touchstream/logging';

/** Routes NestJS's own log lines into the service's structured JSON log. */
export class NestLoggerAdapter implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.debug(String(message), { nestContext: context });
  }
  error(message: unknown, stack?: string, context?: string): void {
    // NestFactory reports a failed boot here and then throws the same error to runService, which
    // logs it (once, as one line when it is a refusal such as a wrong Kafka password).
    if (context === 'ExceptionHandler')
      return this.logger.debug(String(message instanceof Error ? message.message : message), { nestContext: context });
    if (message instanceof Error) this.logger.error(message.message, { nestContext: context, ...describeError(message) });
    else this.logger.error(String(message), { nestContext: context, stack });
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn(String(message), { nestContext: context });
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug(String(message), { nestContext: context });
  }
  verbose(message: unknown, context?: string): void {
    this.logger.debug(String(message), { nestContext: context });
  }
}
