import { AttributionTables1764900000000 } from './attribution-tables';
import { AttributionReplayBaseline1766100000000 } from './replay-baseline';
import {
  ConsumerPositionTopicIds1770100000000,
  OutboxDeadLetters1767000000000,
  OutboxPayloadText1766200000000,
  OutboxUncompressed1768000000000,
  OutboxBatches1769000000000,
  PlatformTables1764370000000,
  ReplayFenceTable1766000000000,
} from '@touchstream/eventing';

/** Applied in order at boot; never edit one that has shipped, add a new one. */
export const attributionMigrations = [
  PlatformTables1764370000000,
  AttributionTables1764900000000,
  ReplayFenceTable1766000000000,
  AttributionReplayBaseline1766100000000,
  OutboxPayloadText1766200000000,
  OutboxDeadLetters1767000000000,
  OutboxUncompressed1768000000000,
  OutboxBatches1769000000000,
  ConsumerPositionTopicIds1770100000000,
];
