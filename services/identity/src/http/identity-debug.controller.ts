import { BadRequestException, Controller, Get, Inject, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import type { z } from 'zod';
import { DebugTokenGuard } from '@touchstream/platform';
import { idParamSchema, timelineQuerySchema } from './debug-queries.schema';
import { IdentityQueries, type AnonymousView, type TimelinePage, type UserView } from './identity.queries';

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  throw new BadRequestException({
    error: issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; '),
    issues,
  });
}

/**
 * What the identity graph holds about a person (debugging; Bearer DEBUG_TOKEN). Ids are echoed
 * to the caller, never logged.
 */
@Controller('identity')
@UseGuards(DebugTokenGuard)
export class IdentityDebugController {
  constructor(@Inject(IdentityQueries) private readonly queries: IdentityQueries) {}

  @Get('users/:userId')
  async user(@Param('userId') userId: string): Promise<UserView> {
    const view = await this.queries.user(parse(idParamSchema, userId));
    if (!view) throw new NotFoundException({ error: 'unknown userId: no event or link mentions it' });
    return view;
  }

  @Get('anonymous/:anonymousId')
  async anonymous(@Param('anonymousId') anonymousId: string): Promise<AnonymousView> {
    const view = await this.queries.anonymous(parse(idParamSchema, anonymousId));
    if (!view) throw new NotFoundException({ error: 'unknown anonymousId: no event or link mentions it' });
    return view;
  }

  @Get('timeline')
  async timeline(@Query() query: unknown): Promise<TimelinePage> {
    const { userId, anonymousId, limit, before } = parse(timelineQuerySchema, query);
    if (userId !== undefined) {
      const page = await this.queries.userTimeline(userId, limit, before);
      if (!page) throw new NotFoundException({ error: 'unknown userId: no event or link mentions it' });
      return page;
    }
    const page = await this.queries.anonymousTimeline(anonymousId as string, limit, before);
    if (!page) throw new NotFoundException({ error: 'unknown anonymousId: no event or link mentions it' });
    return page;
  }
}
