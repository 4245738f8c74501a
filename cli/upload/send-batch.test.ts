import { describe, expect, it } from 'vitest';
import type { AcceptedAnswer } from '../edge-api.ts';
import { type EdgeClient, EdgeHttpError, EdgeUnreachableError } from '../edge-client.ts';
import type { Clock } from './pacer.ts';
import { type OutgoingRow, sendBatch } from './send-batch.ts';

type Answer = AcceptedAnswer | Error;

/** An edge whose answers are scripted, recording the batches it was sent. */
function scriptedEdge(answers: ((events: Record<string, unknown>[]) => Answer)[]) {
  const calls: string[][] = [];
  const edge = {
    sendEvents: async (events: Record<string, unknown>[]) => {
      calls.push(events.map((e) => String(e.conversion_id)));
      const next = answers.shift();
      if (!next) throw new Error('no more scripted answers');
      const answer = next(events);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as EdgeClient;
  return { edge, calls };
}

const accepted = (events: Record<string, unknown>[], warnings?: AcceptedAnswer['warnings']) => ({
  accepted: events.length,
  conversion_ids: events.map((e) => String(e.conversion_id)),
  ...(warnings ? { warnings } : {}),
});

const noWait: Clock & { sleeps: number[] } = {
  sleeps: [],
  now: () => 0,
  sleep: async (ms) => {
    noWait.sleeps.push(ms);
  },
};

const rows = (count: number): OutgoingRow[] =>
  Array.from({ length: count }, (_, i) => ({
    row: i + 1,
    line: i + 2,
    conversionId: `o-${i + 1}`,
    event: { event: 'purchase', conversion_id: `o-${i + 1}` },
  }));

const invalid = (...parameters: string[]) =>
  new EdgeHttpError(
    400,
    parameters.map((parameter) => ({ code: 'INVALID_PARAMETER', message: 'bad', parameter })),
    'refused',
  );

describe('sendBatch', () => {
  it('sends the rows of each pixel (CSV column `pixel`) as their own request, naming it', async () => {
    const pixelsSent: (string | undefined)[] = [];
    const calls: string[][] = [];
    const edge = {
      sendEvents: async (events: Record<string, unknown>[], pixel?: string) => {
        pixelsSent.push(pixel);
        calls.push(events.map((e) => String(e.conversion_id)));
        return accepted(events);
      },
    } as unknown as EdgeClient;
    const [one, two, three] = rows(3);
    const mixed = [
      { ...one, pixel: 'o9d7n' },
      { ...two, pixel: 'p2k4m' },
      { ...three, pixel: 'o9d7n' },
    ] as OutgoingRow[];
    const settled = await sendBatch(edge, mixed, noWait);
    expect(pixelsSent).toEqual(['o9d7n', 'p2k4m']);
    expect(calls).toEqual([['o-1', 'o-3'], ['o-2']]);
    // Settled in the file's order.
    expect(settled.map((s) => [s.row, s.status])).toEqual([
      [1, 'sent'],
      [2, 'sent'],
      [3, 'sent'],
    ]);
  });

  it('marks every row sent when the edge accepts, carrying warnings to their rows', async () => {
    const { edge } = scriptedEdge([
      (events) =>
        accepted(events, [
          { code: 'IDENTIFIER_DROPPED', message: 'phone dropped', parameter: 'events[1].phone' },
        ]),
    ]);
    const settled = await sendBatch(edge, rows(3), noWait);
    expect(settled.map((s) => [s.row, s.status, s.reason])).toEqual([
      [1, 'sent', ''],
      [2, 'sent', 'IDENTIFIER_DROPPED: phone dropped (phone)'],
      [3, 'sent', ''],
    ]);
  });

  it('rejects the rows a 400 names and sends the rest again', async () => {
    const { edge, calls } = scriptedEdge([
      () => invalid('events[1].email', 'events[3].phone'),
      (events) => accepted(events),
    ]);
    const settled = await sendBatch(edge, rows(5), noWait);
    expect(calls).toEqual([
      ['o-1', 'o-2', 'o-3', 'o-4', 'o-5'],
      ['o-1', 'o-3', 'o-5'],
    ]);
    expect(settled.map((s) => `${s.row}:${s.status}:${s.reason}`)).toEqual([
      '1:sent:',
      '2:rejected:INVALID_PARAMETER: bad (email)',
      '3:sent:',
      '4:rejected:INVALID_PARAMETER: bad (phone)',
      '5:sent:',
    ]);
  });

  it('rejects the whole batch for a 400 that names no event', async () => {
    const { edge } = scriptedEdge([() => invalid('events')]);
    const settled = await sendBatch(edge, rows(2), noWait);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(settled[0]?.reason).toBe('INVALID_PARAMETER: bad (events)');
  });

  it('splits a batch the edge finds too large', async () => {
    const { edge, calls } = scriptedEdge([
      () => new EdgeHttpError(413, [], 'too large'),
      (events) => accepted(events),
      (events) => accepted(events),
    ]);
    const settled = await sendBatch(edge, rows(5), noWait);
    expect(calls.map((c) => c.length)).toEqual([5, 3, 2]);
    expect(settled.every((s) => s.status === 'sent')).toBe(true);
  });

  it('waits out 429 (Retry-After) and 5xx and unreachable, then sends', async () => {
    noWait.sleeps.length = 0;
    const { edge, calls } = scriptedEdge([
      () => new EdgeHttpError(429, [], 'busy', 7),
      () => new EdgeHttpError(503, [], 'down'),
      () => new EdgeUnreachableError('gone'),
      (events) => accepted(events),
    ]);
    const settled = await sendBatch(edge, rows(2), noWait);
    expect(calls).toHaveLength(4);
    expect(noWait.sleeps).toEqual([7000, 4000, 8000]);
    expect(settled.every((s) => s.status === 'sent')).toBe(true);
  });

  it('gives up after a few transient failures, and at once on a refused key', async () => {
    const failing = scriptedEdge(
      Array.from({ length: 6 }, () => () => new EdgeHttpError(503, [], 'down')),
    );
    await expect(sendBatch(failing.edge, rows(1), noWait)).rejects.toThrow('down');
    expect(failing.calls).toHaveLength(6);

    const refused = scriptedEdge([() => new EdgeHttpError(401, [], 'key refused')]);
    await expect(sendBatch(refused.edge, rows(1), noWait)).rejects.toThrow('key refused');
    expect(refused.calls).toHaveLength(1);
  });
});
