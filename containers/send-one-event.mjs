// Sends one visitor's landing page view (with UTM parameters) and their identify to ingest's
// Segment webhook, then waits until segment-sink has sent that user's first-touch identify to
// the receiver (INGEST_URL, RECEIVER_URL): the event went through every service.
const ingest = process.env.INGEST_URL ?? 'http://127.0.0.1:3000';
const receiver = process.env.RECEIVER_URL ?? 'http://127.0.0.1:3004';
const run = `${Date.now().toString(36)}`;
const anonymousId = `containers-anon-${run}`;
const userId = `containers-user-${run}`;
const now = Date.now();

async function webhook(event) {
  const response = await fetch(`${ingest}/v1/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  if (!response.ok) throw new Error(`ingest answered ${response.status} to ${event.type}: ${await response.text()}`);
}

await webhook({
  type: 'page',
  messageId: `${run}-page`,
  anonymousId,
  timestamp: new Date(now - 60_000).toISOString(),
  context: { page: { url: 'https://shop.example/sale?utm_source=newsletter&utm_medium=email&utm_campaign=containers', referrer: '' } },
});
await webhook({ type: 'identify', messageId: `${run}-identify`, anonymousId, userId, timestamp: new Date(now).toISOString(), traits: {} });

const deadline = Date.now() + 120_000;
for (;;) {
  const batches = await (await fetch(`${receiver}/received`)).json();
  const identify = batches
    .flatMap(({ body }) => body.batch ?? [])
    .find((call) => call.type === 'identify' && call.userId === userId && call.traits?.source_first_source === 'newsletter');
  if (identify) {
    process.stdout.write(
      `send-one-event: Segment receiver got ${userId}'s identify: first touch ${identify.traits.source_first_channel} ` +
        `(${identify.traits.source_first_source} / ${identify.traits.source_first_medium})\n`,
    );
    break;
  }
  if (Date.now() > deadline) throw new Error(`no identify for ${userId} reached the receiver within 120 s (${batches.length} batches)`);
  await new Promise((done) => setTimeout(done, 500));
}
