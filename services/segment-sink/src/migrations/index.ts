import { SinkState1765100000000 } from './1765100000000-sink-state';
import { ConsumerPositionTopicIds1770100000000, PlatformTables1764370000000 } from '@touchstream/eventing';

/** Applied in order at boot; never edit one that has shipped, add a new one. */
export const segmentSinkMigrations = [PlatformTables1764370000000, SinkState1765100000000, ConsumerPositionTopicIds1770100000000];
