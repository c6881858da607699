import { describe, expect, it } from 'vitest';
import { runWithLogContext } from './context';
import { Logger, describeError } from './logger';

function capture(level: 'debug' | 'info' = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = new Logger({ service: 'test', level, sink: { write: (line) => lines.push(JSON.parse(line)) } });
  return { logger, lines };
}

describe('Logger', () => {
  it('writes one JSON line with the correlation context of the current message', async () => {
    const { logger, lines } = capture();
    await runWithLogContext({ correlationId: 'c-1', eventId: 'e-1' }, async () => {
      await Promise.resolve();
      logger.info('handled', { count: 2 });
    });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', service: 'test', msg: 'handled', correlationId: 'c-1', eventId: 'e-1', count: 2 }),
    ]);
  });

  it('never writes personal data, however deeply nested', () => {
    const { logger, lines } = capture();
    logger.info('event', { event: { context: { ip: '10.0.0.1' }, traits: { email: 'a@b.c' } }, Email: 'x@y.z' });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('10.0.0.1');
    expect(text).not.toContain('a@b.c');
    expect(text).not.toContain('x@y.z');
  });

  it('drops lines below its level and keeps child bindings', () => {
    const { logger, lines } = capture('info');
    logger.debug('hidden');
    logger.child({ component: 'relay' }).warn('shown');
    expect(lines).toEqual([expect.objectContaining({ msg: 'shown', component: 'relay', level: 'warn' })]);
  });

  it('describes errors by name and message', () => {
    expect(describeError(new TypeError('bad'))).toMatchObject({ errorName: 'TypeError', errorMessage: 'bad' });
    expect(describeError('plain')).toEqual({ errorMessage: 'plain' });
  });
});
