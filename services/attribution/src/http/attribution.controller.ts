import { BadRequestException, Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE, type TouchSource } from '@touchstream/contracts';
import { DebugTokenGuard } from '@touchstream/platform';
import { PageClassifier } from '../domain';
import { AttributionQueries, type AnonymousAttributionView, type UserAttributionView } from './attribution.queries';

const MAX_URL = 8_192;
const optionalText = z.string().max(MAX_URL).nullish();

const classifyBodySchema = z.object({
  url: z.string().min(1, 'url must not be empty').max(MAX_URL),
  referrer: optionalText,
  /** Segment's context.campaign, when the client parsed the UTM values itself. */
  campaign: z
    .object({ name: optionalText, source: optionalText, medium: optionalText, term: optionalText, content: optionalText })
    .nullish(),
});

/** Segment ids are at most a few hundred characters; anything longer is not an id. */
const idSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);

function badRequest(what: string, error: z.ZodError): BadRequestException {
  const issues = error.issues.map((issue) => `${issue.path.map(String).join('.') || what}: ${issue.message}`);
  return new BadRequestException({ error: `invalid ${what}: ${issues.join('; ')}` });
}

function parseId(name: string, value: string): string {
  const parsed = idSchema.safeParse(value);
  if (!parsed.success) throw badRequest(name, parsed.error);
  return parsed.data;
}

@Controller('attribution')
export class AttributionController {
  constructor(
    @Inject(PageClassifier) private readonly classifier: PageClassifier,
    @Inject(AttributionQueries) private readonly queries: AttributionQueries,
  ) {}

  /** Source detection for one page view, with the site's settings. Public: it reveals nothing stored. */
  @Post('classify')
  @HttpCode(200)
  classify(@Body() body: unknown): TouchSource {
    const parsed = classifyBodySchema.safeParse(body);
    if (!parsed.success) throw badRequest('body', parsed.error);
    const { url, referrer, campaign } = parsed.data;
    return this.classifier.classify(url, referrer ?? null, campaign ?? null);
  }

  @Get('users/:userId')
  @UseGuards(DebugTokenGuard)
  async user(@Param('userId') userId: string): Promise<UserAttributionView> {
    const view = await this.queries.user(parseId('userId', userId));
    if (!view) throw new NotFoundException({ error: 'no page views, touches or links are known for this userId' });
    return view;
  }

  @Get('anonymous/:anonymousId')
  @UseGuards(DebugTokenGuard)
  async anonymous(@Param('anonymousId') anonymousId: string): Promise<AnonymousAttributionView> {
    const view = await this.queries.anonymous(parseId('anonymousId', anonymousId));
    if (!view) throw new NotFoundException({ error: 'no page views or links are known for this anonymousId' });
    return view;
  }
}
