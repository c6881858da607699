import type { OutgoingMessage } from '@touchstream/kafka';
import type { ProcessedRecords, Rejection } from './process-records';

/** Records gathered for one producer round trip and one checkpoint. */
export class Batch {
  accepted: OutgoingMessage[] = [];
  rejected: OutgoingMessage[] = [];
  rejections: Rejection[] = [];
  filtered = 0;
  records = 0;
  end = 0;
  line = 0;

  add(processed: ProcessedRecords): void {
    if (processed.records === 0) return;
    for (const message of processed.accepted) this.accepted.push(message);
    for (const message of processed.rejected) this.rejected.push(message);
    for (const rejection of processed.rejections) this.rejections.push(rejection);
    this.filtered += processed.filtered;
    this.records += processed.records;
    this.end = processed.end;
    this.line = processed.endLine;
  }

  counts(): { end: number; line: number; records: number; imported: number; rejected: number; filtered: number } {
    return {
      end: this.end,
      line: this.line,
      records: this.records,
      imported: this.accepted.length,
      rejected: this.rejected.length,
      filtered: this.filtered,
    };
  }
}
